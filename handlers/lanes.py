"""Per-chat lanes: one turn at a time per chat in update_id order, a burst of messages merged into one turn,
different chats concurrently, and a bound on how many turns run at once."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog
from aiogram.types import Update

from handlers.said import MERGEABLE, carried_message, kind_of

log = structlog.get_logger(__name__)


@dataclass
class Delivery:
    """One stored update waiting for its turn, with the rest of aiogram's chain that will handle it."""

    update: Update
    chat_id: int
    handler: Callable[[Update, dict[str, Any]], Awaitable[Any]]
    data: dict[str, Any]
    attempt: int = 0  # how many times this turn already failed for want of the model

    @property
    def mergeable(self) -> bool:
        """Plain customer text, photos, voice notes and edits join a burst; commands, buttons and everything else
        stand alone."""
        message, edited = carried_message(self.update)
        if message is None:
            return False
        if message.text is not None and message.text.startswith("/"):
            return False
        return edited or kind_of(message) in MERGEABLE


# Runs one turn; True means "not answered yet, try again later" (the model is down), and the turn goes back to
# the head of its chat's lane, where messages the customer writes meanwhile join it.
HandleBatch = Callable[[list[Delivery]], Awaitable[bool]]


class ChatLanes:
    def __init__(self, burst_window: float, max_turns: int, handle: HandleBatch,
                 retry_delay: float = 30.0, retry_cap: float = 300.0) -> None:
        self._window = burst_window
        self._retry_delay = retry_delay
        self._retry_cap = retry_cap
        self._turns = asyncio.Semaphore(max_turns)
        self._handle = handle
        self._lanes: dict[int, deque[Delivery]] = {}
        self._last_arrival: dict[int, float] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}
        self._queued: set[int] = set()

    def is_queued(self, update_id: int) -> bool:
        return update_id in self._queued

    def submit(self, delivery: Delivery) -> None:
        chat_id = delivery.chat_id
        self._lanes.setdefault(chat_id, deque()).append(delivery)
        self._queued.add(delivery.update.update_id)
        self._last_arrival[chat_id] = time.monotonic()
        if chat_id not in self._workers:
            self._workers[chat_id] = asyncio.create_task(self._work(chat_id), name=f"chat-{chat_id}")

    async def _work(self, chat_id: int) -> None:
        lane = self._lanes[chat_id]
        try:
            while lane:
                if lane[0].mergeable:
                    await self._wait_for_quiet(chat_id)
                batch = self._take_batch(lane)
                retry = False
                try:
                    async with self._turns:
                        retry = await self._handle(batch)
                finally:
                    if not retry:
                        self._queued.difference_update(d.update.update_id for d in batch)
                if retry:
                    await self._retry_later(lane, batch)
        finally:
            del self._workers[chat_id]
            if not lane:
                self._lanes.pop(chat_id, None)
                self._last_arrival.pop(chat_id, None)

    async def _wait_for_quiet(self, chat_id: int) -> None:
        """Wait until the chat has been quiet for the burst window (at most three windows in all)."""
        give_up = time.monotonic() + 3 * self._window
        while (remaining := self._last_arrival[chat_id] + self._window - time.monotonic()) > 0:
            if time.monotonic() >= give_up:
                return
            await asyncio.sleep(min(remaining, give_up - time.monotonic()))

    async def _retry_later(self, lane: deque[Delivery], batch: list[Delivery]) -> None:
        attempt = max(d.attempt for d in batch) + 1
        for delivery in reversed(batch):
            delivery.attempt = attempt
            lane.appendleft(delivery)
        await asyncio.sleep(min(self._retry_delay * 2 ** (attempt - 1), self._retry_cap))

    @staticmethod
    def _take_batch(lane: deque[Delivery]) -> list[Delivery]:
        batch = [lane.popleft()]
        while batch[0].mergeable and lane and lane[0].mergeable:
            batch.append(lane.popleft())
        return batch

    async def drain(self, grace: float) -> int:
        """Let running and queued turns finish within `grace` seconds; cancel the rest (their inbox rows stay
        pending for the next start). Returns how many chats were cut off."""
        workers = list(self._workers.values())
        if not workers:
            return 0
        _, unfinished = await asyncio.wait(workers, timeout=grace)
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)
        return len(unfinished)
