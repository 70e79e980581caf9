"""The README promises personal data is masked in LLM traces: through the real process, a phone in any spelling
(glued to letters too), the customer's recorded names, city and branch never reach `llm_traces` snapshots."""

from __future__ import annotations

import json
import re

import asyncpg

from config.logs import mask
from tests.harness import Wire, running_bot
from tests.test_sale import ORDER_STEPS, sales_script, talk


async def snapshots_of(db: asyncpg.Pool, chat: int) -> str:
    rows = await db.fetch("SELECT input_snapshot, output_snapshot FROM llm_traces WHERE session_id = $1", str(chat))
    assert rows
    return json.dumps([[r["input_snapshot"], r["output_snapshot"]] for r in rows], ensure_ascii=False)


def test_phones_are_masked_in_every_spelling() -> None:
    for spelling in ("тел0639876543", "+380639876543", "380639876543", "80639876543", "063 987 65 43",
                     "+38 (063) 987-65-43", "0639876543тел", "tel.063-987-65-43"):
        masked = mask(f"мій {spelling}, дякую")
        assert not re.search(r"\d{3}", masked), (spelling, masked)
    assert mask("Сукня Анна, 1850 грн, розмір 122-128") == "Сукня Анна, 1850 грн, розмір 122-128"


def test_secrets_and_branches_are_masked_in_any_case() -> None:
    token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"
    for text, hidden in ((f"token {token}", token), ("key sk-proj-abcdef123456", "abcdef123456"),
                         ("Authorization: BEARER abcdefgh12345", "abcdefgh12345"),
                         ("auth bEaReR Zm9vYmFyYmF6cXV4", "Zm9vYmFyYmF6cXV4"),
                         ("ВІДДІЛЕННЯ № 25", "25"), ("Поштомат 1234", "1234"), ("нп 7, Львів", "7"),
                         ("ОТДЕЛЕНИЕ 31", "31")):
        assert hidden not in mask(text), text


async def test_a_trace_holds_no_phone_name_city_or_branch(wire: Wire, db: asyncpg.Pool, demo_catalog: None) -> None:
    tg, glued, buyer = wire.telegram, 8301, 8302
    async with running_bot(wire):
        tg.send(glued, "мій тел0639876543")
        await tg.wait_for_messages(glued, 1)
        wire.openai.script = sales_script
        await talk(tg, buyer, ORDER_STEPS[:5], first_name="Ярина")
    assert not re.search(r"0?6\D{0,3}3\D{0,3}9\D{0,3}8\D{0,3}7\D{0,3}6\D{0,3}5", await snapshots_of(db, glued))
    traced = await snapshots_of(db, buyer)
    assert "Сукня Анна" in traced  # what the bot sold stays readable for debugging
    for private in ("951234567", "Петренко", "Оксан", "Ярин", "Київ", "Киев", "відділення 25", "№25"):
        assert private.lower() not in traced.lower(), private
