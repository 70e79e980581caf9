"""Checking a sending rate from the times sends arrived at a fake, in a way machine load cannot fake or break.

An arrival is never earlier than the slot the bot booked for it, but may be later by the machine's delay (a loaded
machine: tens of milliseconds, sometimes more). So two neighbours may arrive closer than the interval (the first one
late, the second on time) even when the bot keeps its limit. What load cannot do is bring arrivals forward: for any
two sends i < j, the later one cannot arrive before (j - i) intervals after the earlier one's slot. The check is that
bound with `lateness` seconds of allowance — the same as "in any window of W seconds at most (W + lateness) /
interval + 1 sends" — so a bot sending faster than its limit over more than `lateness` seconds fails it."""

from __future__ import annotations

from collections.abc import Sequence

LATENESS = 0.25  # seconds an arrival may lag its booked slot on a loaded 2-core machine


def too_fast(arrivals: Sequence[float], interval: float, lateness: float = LATENESS) -> list[tuple[int, int, float]]:
    """The pairs (i, j, seconds between them) of `arrivals` (monotonic seconds, in order) that came closer than
    (j - i) × `interval` − `lateness` seconds; empty when the rate was kept."""
    return [(i, j, arrivals[j] - arrivals[i])
            for i in range(len(arrivals)) for j in range(i + 1, len(arrivals))
            if arrivals[j] - arrivals[i] < (j - i) * interval - lateness]
