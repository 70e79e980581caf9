"""Telegram Business: the assistant answering in the shop's own Telegram account through a business connection."""
