"""Scheduled work inside the process: each job an idempotent sweep over Postgres state."""
