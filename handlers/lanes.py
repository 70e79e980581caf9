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

log = structlog.get_logger(__name__)


@dataclass
class Delivery:
    """One stored update waiting for its turn, with the rest of aiogram's chain that will handle it."""

    update: Update
    chat_id: int
    handler: Callable[[Update, dict[str, Any]], Awaitable[Any]]
    data: dict[str, Any]

    @property
    def mergeable(self) -> bool:
        """Plain customer text or photos join a burst; commands, buttons and everything else stand alone."""
        message = self.update.message
        if message is None:
            return False
        if message.text is not None:
            return not message.text.startswith("/")
        return message.photo is not None


HandleBatch = Callable[[list[Delivery]], Awaitable[None]]


class ChatLanes:
    def __init__(self, burst_window: float, max_turns: int, handle: HandleBatch) -> None:
        self._window = burst_window
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
                try:
                    async with self._turns:
                        await self._handle(batch)
                finally:
                    self._queued.difference_update(d.update.update_id for d in batch)
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
