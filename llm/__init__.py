"""The model client: calls, retries, traces, costs, transcription."""
