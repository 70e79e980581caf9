"""Sitniks CRM: the HTTP client, the order payload, the chat lifecycle and the sync sweep."""
