"""The model server's refusals, as the real OpenAI API gives them (tests/fakes/openai_limits.py), met by the real
process: a refused key, a rate limit with Retry-After, and structured-output schemas strict mode accepts."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import pytest
from structlog.testing import capture_logs

from agent.sales import REPLY_FORMAT
from agent.vision import RESPONSE_FORMAT as PHOTO_FORMAT
from memory.summaries import RESPONSE_FORMAT as SUMMARY_FORMAT
from tests.fakes.openai_api import last_user_text
from tests.fakes.openai_limits import schema_mismatch, strict_schema_problem
from tests.harness import Wire, running_bot

APOLOGY = "Вибачте, у мене зараз технічна затримка 🙏"


# The facts to remember are part of the reply's schema (one model call per message).
@pytest.mark.parametrize("response_format", [REPLY_FORMAT, PHOTO_FORMAT, SUMMARY_FORMAT],
                         ids=["reply", "photo", "summary"])
def test_every_structured_output_schema_is_one_strict_mode_accepts(response_format: dict[str, Any]) -> None:
    assert strict_schema_problem(response_format["json_schema"]["schema"]) is None


def test_the_fake_refuses_a_schema_strict_mode_would_refuse() -> None:
    loose = {"type": "object", "properties": {"bubbles": {"type": "array", "items": {"type": "string"}}}}
    assert "'additionalProperties' is required" in str(strict_schema_problem(loose))
    partial = {**loose, "additionalProperties": False, "required": []}
    assert "Missing 'bubbles'" in str(strict_schema_problem(partial))


def test_the_fake_holds_a_scripted_answer_to_the_schema_the_request_carried() -> None:
    request = {"response_format": REPLY_FORMAT}
    complete = {"bubbles": ["Привіт!"], "next_state": "STATE_1_DISCOVERY", "show_products": [], "facts": []}
    assert schema_mismatch(request, json.dumps(complete)) is None
    without_products = {k: v for k, v in complete.items() if k != "show_products"}
    assert "'show_products' is a required property" in str(schema_mismatch(request, json.dumps(without_products)))
    assert "is not one of" in str(schema_mismatch(request, json.dumps({**complete, "next_state": "STATE_9"})))


async def test_a_refused_key_is_named_in_the_log_the_customer_gets_the_apology_and_an_answer_after_the_fix(
    wire: Wire, db: asyncpg.Pool
) -> None:
    chat = 3101
    with capture_logs() as lines:
        async with running_bot(wire, openai_api_key="sk-wrong-key-1234"):
            wire.telegram.send(chat, "Привіт")
            [answer] = await wire.telegram.wait_for_messages(chat, 1)
    assert answer.startswith(APOLOGY)
    refused = [line for line in lines if line.get("event") == "llm_key_refused"]
    assert refused and refused[0]["status"] == 401 and "OPENAI_API_KEY" in refused[0]["problem"]
    assert "sk-wrong-key-1234" not in json.dumps(lines, default=str)
    assert wire.openai.requests == []  # the fake refused before any answer
    async with running_bot(wire):  # the key fixed and the bot restarted: the waiting turn is answered
        await wire.telegram.wait_for_messages(chat, 2)
    assert wire.telegram.sent_to(chat)[1] == "Відповідь на: Привіт"


async def test_a_rate_limited_call_waits_the_retry_after_and_the_customer_gets_the_answer(
    wire: Wire, db: asyncpg.Pool
) -> None:
    chat = 3102
    wire.openai.rate_limit(times=1, retry_after=2)
    async with running_bot(wire):
        wire.telegram.send(chat, "Добрий день")
        [answer] = await wire.telegram.wait_for_messages(chat, 1)
    assert answer == "Відповідь на: Добрий день"
    limited, answered = [r for r in wire.openai.requests_for("reply") if last_user_text(r) == "Добрий день"]
    assert answered["_at"] - limited["_at"] >= 2  # the SDK waited as told, not its own shorter backoff
