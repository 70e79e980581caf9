"""Product cards through the real process and the fake Telegram, which refuses what the real one refuses
(callback data over 64 bytes, HTML it cannot parse, captions over 1024 UTF-16 units)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import asyncpg
import pytest_asyncio
import yaml

from catalog.importer import import_file
from tests.fakes.openai_api import last_user_text
from tests.harness import Wire, running_bot

SKU, COLOUR = "MIRT-TRENCH-ECO-2025", "темно-синій меланжевий"


@pytest_asyncio.fixture(scope="module", autouse=True)
async def trench(db: asyncpg.Pool, tmp_path_factory: Any) -> None:
    """A product whose SKU and colours make callback data far over 64 bytes the old way
    ("pick:MIRT-TRENCH-ECO-2025:c:темно-синій меланжевий" is 50 characters but 70 bytes)."""
    path = tmp_path_factory.mktemp("catalog") / "trench.yaml"
    path.write_text(yaml.safe_dump([{
        "sku": SKU, "name": "Тренч Еко", "category": "Верхній одяг", "price": 2450,
        "sizes": ["122-128", "134-140"], "colors": ["молочний", COLOUR, "оливковий хакі"],
        "photo_url": "https://shop.example/trench.jpg",
    }], allow_unicode=True), encoding="utf-8")
    await import_file(db, path)


def shows_trench(request: dict[str, Any]) -> Any:
    last = request["messages"][-1]
    if "Обираю колір" in last_user_text(request) and last["role"] == "user":
        return json.dumps({"bubbles": ["Гарний колір!"], "next_state": "STATE_3_SIZE_COLOR", "show_products": [],
                           "facts": []})
    if last["role"] != "tool":
        return {"role": "assistant", "content": None, "tool_calls": [{
            "id": "call-1", "type": "function", "function": {"name": "search_products",
                                                             "arguments": json.dumps({"query": "тренч"})}}]}
    return json.dumps({"bubbles": ["Ось тренч"], "next_state": "STATE_3_SIZE_COLOR", "show_products": [SKU],
                       "facts": []},
                      ensure_ascii=False)


async def press_colour(wire: Wire, chat: int, colour: str) -> str:
    """Press the card's `colour` button; returns what the dialog stored as the customer's words."""
    [card] = [c for c in wire.telegram.calls_of("sendPhoto")
              if int(c.params["chat_id"]) == chat and not c.params.get("_failed")]
    [message] = [m for m in wire.telegram.messages_in(chat) if "photo" in m or "caption" in m]
    buttons = [b for row in message["reply_markup"]["inline_keyboard"] for b in row]
    button = next(b for b in buttons if b["text"] == colour)
    assert all(len(b["callback_data"].encode()) <= 64 for b in buttons)
    wire.telegram.press(chat, chat, message["message_id"], button["callback_data"])
    await wire.telegram.wait_for(lambda: "Гарний колір!" in wire.telegram.sent_to(chat))
    return card.params["caption"]


async def last_customer_words(db: asyncpg.Pool, chat: int) -> str:
    return await db.fetchval("SELECT content FROM messages WHERE session_id = $1 AND role = 'user' ORDER BY id DESC",
                             str(chat))


async def test_a_card_whose_sku_and_colour_exceed_64_bytes_has_buttons_that_answer_with_the_right_colour(
    wire: Wire, db: asyncpg.Pool
) -> None:
    chat = 2101
    wire.openai.script = shows_trench
    async with running_bot(wire):
        wire.telegram.send(chat, "Покажіть тренч")
        await wire.telegram.wait_for(lambda: any(not c.params.get("_failed") for c in wire.telegram.calls_of("sendPhoto")))
        caption = await press_colour(wire, chat, COLOUR)
    assert caption.startswith("<b>Тренч Еко</b>")  # the HTML card itself went through, not a fallback
    assert await last_customer_words(db, chat) == f"Обираю колір {COLOUR} (модель {SKU})"


async def test_when_telegram_refuses_the_cards_html_the_same_facts_go_as_plain_text_with_working_buttons(
    wire: Wire, db: asyncpg.Pool, tmp_path: Path
) -> None:
    chat = 2102
    shop = yaml.safe_load((resources.files("config") / "shop.uk.yaml").read_text(encoding="utf-8"))
    shop["texts"]["card_caption"] = "<big>{name}</big>\nЦіна: {price} грн\nРозміри: {sizes}\nКольори: {colors}"
    (tmp_path / "shop.yaml").write_text(yaml.safe_dump(shop, allow_unicode=True), encoding="utf-8")
    wire.openai.script = shows_trench
    async with running_bot(wire, shop_file=str(tmp_path / "shop.yaml")):
        wire.telegram.send(chat, "Покажіть тренч")
        await wire.telegram.wait_for(lambda: any(not c.params.get("_failed") for c in wire.telegram.calls_of("sendPhoto")))
        caption = await press_colour(wire, chat, "оливковий хакі")
    refused = [c for c in wire.telegram.calls_of("sendPhoto") if c.params.get("_failed")]
    assert len(refused) == 1 and refused[0].params["parse_mode"] == "HTML"
    assert caption == ("Тренч Еко\nЦіна: 2450 грн\nРозміри: 122-128, 134-140\n"
                       f"Кольори: молочний, {COLOUR}, оливковий хакі")
    assert await last_customer_words(db, chat) == f"Обираю колір оливковий хакі (модель {SKU})"
