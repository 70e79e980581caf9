"""/questions: this week's customer questions the shop's knowledge file did not cover, grouped and counted, so the
shop knows what to add."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from knowledge.questions import group_questions
from knowledge.search import KnowledgeBase
from outbound.replies import send_text
from outbound.texts import AdminTexts, Text
from storage.questions import unanswered_since

WEEK = timedelta(days=7)
MAX_GROUPS = 40  # the rest are rarer; the message stays readable


async def uncovered_questions(message: Message, db: asyncpg.Pool, admin_texts: AdminTexts,
                              knowledge: KnowledgeBase) -> None:
    questions = await unanswered_since(db, datetime.now(UTC) - WEEK)
    if not questions:
        await message.answer(admin_texts(Text.QUESTIONS_NONE))
        return
    groups = group_questions(questions, knowledge.lemmas)
    lines = [admin_texts(Text.QUESTIONS_HEADER, total=len(questions), groups=len(groups))]
    lines += [admin_texts(Text.QUESTIONS_LINE, count=g.count, question=g.wording) for g in groups[:MAX_GROUPS]]
    await send_text(message.bot, db, message.chat.id, "\n".join(lines))


def questions_router() -> Router:
    router = Router(name="admin-questions")
    router.message.register(uncovered_questions, Command("questions"))
    return router
