"""Everything a parent sends is understood, through the real process: voice and video notes transcribed, images and
receipts sent as files, albums, stickers and emoji, oversized files — and the history keeps readable words."""

from __future__ import annotations

import json
import asyncpg

from tests.harness import Wire, running_bot
from tests.test_sale import MANAGERS, sales_script

VOICE = b"OggS fake opus: chy ye kostium na 128"


async def stored(db: asyncpg.Pool, chat: int) -> list[tuple[str, str, list[str]]]:
    rows = await db.fetch("SELECT role, content, tags FROM messages WHERE session_id = $1 ORDER BY id", str(chat))
    return [(r["role"], r["content"], list(r["tags"])) for r in rows]


async def test_a_voice_note_is_answered_as_the_words_in_it(wire: Wire, db: asyncpg.Pool) -> None:
    chat, tg = 4101, wire.telegram
    wire.openai.transcripts[VOICE] = "Чи є костюм на 128?"
    async with running_bot(wire):
        tg.send_voice(chat, VOICE)
        [answer] = await tg.wait_for_messages(chat, 1)
        tg.send_voice(chat, b"\x00\x00 a round video note", video_note=True)
        await tg.wait_for_messages(chat, 2)
    assert answer == "Відповідь на: Чи є костюм на 128?"
    [request, note] = wire.openai.transcription_requests
    assert request["model"] == "gpt-4o-mini-transcribe" and request["audio"] == VOICE
    assert note["filename"].endswith(".mp4")
    assert stored_turns(await stored(db, chat))[0] == ("user", "Чи є костюм на 128?", ["voice"])
    trace = await db.fetchrow("SELECT node_name, model_name, status, tokens_in, cost FROM llm_traces "
                              "WHERE session_id = $1 AND node_name = 'transcription' ORDER BY created_at LIMIT 1",
                              str(chat))
    assert trace["model_name"] == "gpt-4o-mini-transcribe" and trace["status"] == "SUCCESS"
    assert trace["tokens_in"] > 0 and trace["cost"] > 0


def stored_turns(rows: list[tuple[str, str, list[str]]]) -> list[tuple[str, str, list[str]]]:
    return [r for r in rows if r[0] == "user"]


async def test_a_voice_note_the_model_cannot_hear_is_apologised_for_and_retried(
        wire: Wire, db: asyncpg.Pool) -> None:
    chat, tg = 4102, wire.telegram
    wire.openai.transcripts[VOICE] = "Чи є костюм на 128?"
    wire.openai.fail_transcriptions(500, times=3)  # the SDK's own two retries, then the turn waits
    async with running_bot(wire, llm_retry_delay="0.2s"):
        tg.send_voice(chat, VOICE)
        await tg.wait_for_messages(chat, 2)
    apology, answer = tg.sent_to(chat)
    assert "не можу прослухати голосове" in apology
    assert answer == "Відповідь на: Чи є костюм на 128?"


async def test_an_image_sent_as_a_file_is_a_photo(wire: Wire, db: asyncpg.Pool, demo_catalog: None) -> None:
    chat, tg = 4103, wire.telegram
    wire.openai.script = lambda r: json.dumps({"verdict": "ours", "sku": "MIRT-LAGUNA", "question": None})
    async with running_bot(wire):
        tg.send_document(chat, "IMG_2024.jpg", "image/jpeg", b"\xff\xd8\xff fake jpeg", caption="Ось таку хочу")
        [answer] = await tg.wait_for_messages(chat, 1)
    assert "Костюм Лагуна" in answer
    [request] = wire.openai.requests_for("photo")
    parts = request["messages"][-1]["content"]
    assert parts[0]["text"] == "Ось таку хочу" and parts[1]["image_url"]["url"].startswith("data:image/jpeg")


async def test_an_album_reaches_the_vision_model_whole_with_its_caption(
        wire: Wire, db: asyncpg.Pool, demo_catalog: None) -> None:
    chat, tg = 4104, wire.telegram
    wire.openai.script = lambda r: json.dumps({"verdict": "unsure", "sku": None, "question": None})
    async with running_bot(wire, burst_window="0.3s"):
        tg.send_album(chat, ["album-1", "album-2", "album-3"], caption="Є такі в рожевому?", caption_on=1)
        await tg.wait_for_messages(chat, 1)
    [request] = wire.openai.requests_for("photo")
    parts = request["messages"][-1]["content"]
    images = [p["image_url"]["url"] for p in parts if p["type"] == "image_url"]
    assert len(images) == 3 and len(set(images)) == 3
    assert parts[0]["text"] == "Є такі в рожевому?"


async def test_stickers_and_emoji_get_a_friendly_word_without_the_model(wire: Wire, db: asyncpg.Pool) -> None:
    chat, tg = 4105, wire.telegram
    async with running_bot(wire):
        tg.send_sticker(chat)
        await tg.wait_for_messages(chat, 1)
        tg.send(chat, "😍👍")
        await tg.wait_for_messages(chat, 2)
        tg.send_document(chat, "report.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                         b"PK fake docx")
        await tg.wait_for_messages(chat, 3)
    sticker, emoji, document = tg.sent_to(chat)
    assert sticker == emoji and "🥰" in sticker
    assert "Файли я, на жаль, не відкриваю" in document
    assert wire.openai.requests == []
    assert [c for _, c, _ in stored_turns(await stored(db, chat))] == ["[стікер]", "😍👍", "[документ report.docx]"]


async def test_a_file_over_telegrams_download_limit_gets_a_clear_answer(wire: Wire, db: asyncpg.Pool) -> None:
    chat, tg = 4106, wire.telegram
    async with running_bot(wire):
        tg.send_document(chat, "photo.png", "image/png", b"\x89PNG", size=25 * 1024 * 1024)
        [answer] = await tg.wait_for_messages(chat, 1)
    assert "Файл завеликий" in answer and wire.openai.requests == []
    assert tg.calls_of("getFile") == []  # not even tried: Telegram would refuse it


async def test_a_pdf_receipt_reaches_the_managers_as_a_document(
        wire: Wire, db: asyncpg.Pool, demo_catalog: None) -> None:
    chat, tg = 4107, wire.telegram
    wire.openai.script = sales_script
    async with running_bot(wire, admin_chat_id=MANAGERS):
        tg.send_document(chat, "receipt-early.pdf", "application/pdf", b"%PDF-1.4 early")
        [early] = await tg.wait_for_messages(chat, 1)
        steps = [("Шукаю сукню доньці на 7 років, зріст 119", 1), ("рожевий", 1), ("Петренко Оксана, 12345", 1),
                 ("0951234567, Київ, відділення 25", 1), ("так", 2), ("передоплата", 2)]
        for text, bubbles in steps:
            expected = len(tg.sent_to(chat)) + bubbles
            tg.send(chat, text)
            await tg.wait_for_messages(chat, expected)
        tg.send_document(chat, "receipt.pdf", "application/pdf", b"%PDF-1.4 paid 200")
        receipt = tg.last_incoming[chat]
        await tg.wait_for(lambda: any(int(c.params["chat_id"]) == MANAGERS and c.params["message_id"] == receipt
                                      for c in tg.calls_of("copyMessage")))
    assert "Якщо це квитанція" in early  # before any order: thanked for, not taken as a payment
    assert any("Оплату отримала" in t for t in tg.sent_to(chat))
    copied = [m for m in tg.messages_in(MANAGERS) if "document" in m]
    assert [m["document"]["file_name"] for m in copied] == ["receipt.pdf"]
    assert any("надіслав оплату" in t for t in tg.sent_to(MANAGERS))

