"""Forgetting: a fact's importance fades by its decay_rate per day since it was last confirmed.

Effective importance is computed when it is read (the SQL function `mirt_effective_importance`, the one
definition retrieval and this sweep share), so nothing rewrites every row every day. The daily sweep only
deactivates the facts that crossed the floor. Constraints (allergies, "no synthetics") never fade.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg
import structlog

from storage.memory import deactivate_faded

log = structlog.get_logger(__name__)

FLOOR = 0.3  # below this a fact no longer earns a place in the prompt

# Per day. A favourite colour not heard of for about three months (0.8 → 0.3) is let go; delivery details
# change less often; behaviour ("asks for discounts") is the most fleeting; constraints stay.
DECAY_RATES = {"constraint": 0.0, "logistics": 0.005, "preference": 0.01, "behavior": 0.02}


def decay_rate_for(fact_type: str) -> float:
    return DECAY_RATES[fact_type]


async def decay_sweep(pool: asyncpg.Pool, now: datetime) -> int:
    """Deactivate the facts that faded below the floor by `now`; returns how many. Idempotent: a second run the
    same day finds nothing new to deactivate."""
    faded = await deactivate_faded(pool, FLOOR, now)
    log.info("memory_decay_swept", deactivated=faded)
    return faded
