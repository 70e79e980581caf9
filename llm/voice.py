"""Voice and video notes as words: the customer's audio goes through the transcription model (TRANSCRIPTION_MODEL)
by the one LLM client, so it is traced and costed like every model call."""

from __future__ import annotations

import uuid

from llm.client import CallContext, Llm


class Transcriber:
    def __init__(self, llm: Llm, model: str) -> None:
        self._llm = llm
        self._model = model

    async def transcribe(self, audio: bytes, filename: str, session_id: str, user_id: int) -> str:
        """What is said in the note (stripped; "" when nothing was heard). Raises LlmUnavailable."""
        ctx = CallContext(uuid.uuid4(), session_id, user_id, "transcription")
        return (await self._llm.transcribe(ctx, audio, filename, self._model)).strip()
