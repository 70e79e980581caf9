"""The extraction call: one structured-output request to the model after a turn, off the reply path.

The model proposes; `memory.facts` decides. A reply that is not the promised JSON raises `ExtractionGarbage`;
single facts that break the schema (importance 7, an unknown fact type) are dropped one by one.
"""

from __future__ import annotations

import json
import uuid
from importlib import resources
from typing import Any

import structlog
from pydantic import ValidationError

from agent.llm import CallContext, Llm
from memory.facts import ProposedFact
from memory.profile import SLOTS

log = structlog.get_logger(__name__)

NODE = "memory_extract"

_FACT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["content", "fact_type", "category", "importance", "surprise", "confidence", "child", "slot",
                 "value"],
    "properties": {
        "content": {"type": "string"},
        "fact_type": {"type": "string", "enum": ["preference", "constraint", "logistics", "behavior"]},
        "category": {"type": "string", "enum": ["child", "style", "delivery", "payment"]},
        "importance": {"type": "number"},
        "surprise": {"type": "number"},
        "confidence": {"type": "number"},
        "child": {"type": ["string", "null"]},
        "slot": {"type": ["string", "null"], "enum": [*SLOTS, None]},
        "value": {"type": ["string", "null"]},
    },
}
RESPONSE_FORMAT = {
    "type": "json_schema",
    "json_schema": {
        "name": "customer_facts",
        "strict": True,
        "schema": {"type": "object", "additionalProperties": False, "required": ["facts"],
                   "properties": {"facts": {"type": "array", "items": _FACT_SCHEMA}}},
    },
}


class ExtractionGarbage(ValueError):
    """The model's reply is not the JSON object the schema promised."""


def instructions() -> str:
    return (resources.files("memory") / "prompts" / "extract.uk.md").read_text(encoding="utf-8")


async def extract_facts(llm: Llm, ctx: CallContext, known: str, customer_text: str,
                        assistant_text: str) -> list[ProposedFact]:
    exchange = (f"Вже відомо про родину:\n{known or '—'}\n\nКлієнт написав:\n{customer_text}\n\n"
                f"Консультант відповів:\n{assistant_text}")
    completion = await llm.chat(ctx, [{"role": "system", "content": instructions()},
                                      {"role": "user", "content": exchange}],
                                response_format=RESPONSE_FORMAT, temperature=0)
    return parse_facts(completion.choices[0].message.content if completion.choices else None)


def parse_facts(reply: str | None) -> list[ProposedFact]:
    try:
        data = json.loads(reply or "")
    except json.JSONDecodeError as exc:
        raise ExtractionGarbage(f"not JSON: {exc}") from None
    items = data.get("facts") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ExtractionGarbage("no 'facts' list in the reply")
    facts = []
    for item in items:
        try:
            facts.append(ProposedFact.model_validate(item))
        except ValidationError as exc:
            log.info("memory_fact_malformed", errors=exc.error_count())
    return facts


def extraction_context(session_id: str, user_id: str) -> CallContext:
    return CallContext(uuid.uuid4(), session_id, int(user_id) if user_id.lstrip("-").isdigit() else None,
                       node_name=NODE)
