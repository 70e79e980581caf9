"""The facts worth remembering, as the sales model proposes them in the same structured answer as its reply: one
model call per customer message, not a second call after it.

The model proposes; `memory.facts` decides. Single facts that break the schema (importance 7, an unknown fact
type) are dropped one by one.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import structlog
from pydantic import ValidationError

from memory.facts import ProposedFact
from memory.profile import SLOTS

log = structlog.get_logger(__name__)

# One fact in the reply's `facts` list (OpenAI structured outputs, strict: every key required, nulls allowed).
FACT_SCHEMA: dict[str, Any] = {
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


def instructions() -> str:
    """What the model is told about the `facts` field (Ukrainian, static: the same for every customer)."""
    return (resources.files("memory") / "prompts" / "extract.uk.md").read_text(encoding="utf-8")


def proposed_facts(items: Any) -> list[ProposedFact]:
    """The well-formed facts among what the model put in `facts`; anything but a list gives none."""
    if not isinstance(items, list):
        if items is not None:
            log.info("memory_facts_not_a_list")
        return []
    facts = []
    for item in items:
        try:
            facts.append(ProposedFact.model_validate(item))
        except ValidationError as exc:
            log.info("memory_fact_malformed", errors=exc.error_count())
    return facts
