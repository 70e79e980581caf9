"""What Telegram delivers to the bot in the fake Bot API: a customer's message or a pressed button becomes an
update (https://core.telegram.org/bots/api#update), and getUpdates hands them out as Telegram does
(https://core.telegram.org/bots/api#getupdates): updates below the confirmed `offset` are forgotten, the rest are
delivered again, a call waits up to `timeout` seconds for one, only the `allowed_updates` types are delivered, and a
newer getUpdates call supersedes an older one still waiting (Telegram answers that one 409 Conflict).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import Any

# Telegram numbers updates per bot, not per connection: tests sharing a module's database never reuse an id.
_UPDATE_IDS = itertools.count(1000)


class Updates:
    """Mixed into FakeTelegram, which provides the state below and `_notify` (wakes every waiter)."""

    files: dict[str, bytes]
    forums: set[int]
    last_incoming: dict[int, int]
    _messages: dict[tuple[int, int], dict[str, Any]]
    _message_ids: itertools.count[int]
    _updates: list[dict[str, Any]]
    _changed: asyncio.Condition
    _closing: bool
    _polls: itertools.count[int]
    _current_poll: int
    _notify: Callable[[], None]

    def send(self, chat_id: int, text: str | None = None, *, update_id: int | None = None,
             photo: str | None = None, caption: str | None = None, first_name: str = "Оксана",
             last_name: str | None = None, username: str | None = "oksana_mama", chat_type: str = "private",
             from_id: int | None = None, reply_to: int | None = None, thread_id: int | None = None,
             extra: dict[str, Any] | None = None) -> int:
        """A customer writes to the bot (or, with `from_id`, someone writes in a group); returns the update_id.
        `reply_to` is the id of a message in the same chat this one answers; `thread_id` a forum topic; `extra`
        more fields of the Message (a document, a contact, media_group_id…)."""
        chat: dict[str, Any] = ({"id": chat_id, "type": chat_type, "first_name": first_name} if chat_type == "private"
                                else {"id": chat_id, "type": chat_type, "title": "Менеджери MIRT",
                                      "is_forum": chat_id in self.forums or None})
        message: dict[str, Any] = {
            "message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
            "from": {"id": from_id or chat_id, "is_bot": False, "first_name": first_name, "username": username,
                     "language_code": "uk"},
        }
        if last_name is not None:
            message["from"]["last_name"] = last_name
        if reply_to is not None:
            message["reply_to_message"] = self._messages[(chat_id, reply_to)]
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                command = text.split()[0]
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if photo is not None:
            self.files[photo] = self.files.get(photo, b"\x89PNG fake photo " + photo.encode())
            message["photo"] = [{"file_id": photo, "file_unique_id": f"u-{photo}", "width": 800, "height": 800,
                                 "file_size": len(self.files[photo])}]
            if caption:
                message["caption"] = caption
        message.update(extra or {})
        self._messages[(chat_id, message["message_id"])] = {k: v for k, v in message.items() if k != "reply_to_message"}
        self.last_incoming[chat_id] = message["message_id"]
        return self.deliver({"message": message}, update_id=update_id)

    def press(self, chat_id: int, user_id: int, message_id: int, data: str, first_name: str = "Олена") -> int:
        """Someone presses an inline button with `data` on the bot's message `message_id` in `chat_id`."""
        return self.deliver({"callback_query": {
            "id": f"press-{next(self._message_ids)}", "chat_instance": "ci", "data": data,
            "from": {"id": user_id, "is_bot": False, "first_name": first_name},
            "message": self._messages[(chat_id, message_id)]}})


    def deliver(self, update: dict[str, Any], update_id: int | None = None) -> int:
        update_id = update_id if update_id is not None else next(_UPDATE_IDS)
        self._updates.append({"update_id": update_id, **update})
        self._notify()
        return update_id


    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]] | None:
        """The updates from `offset` on, waiting up to `timeout` for one; None when a newer getUpdates call took
        over (Telegram answers the older one 409 Conflict)."""
        poll = self._current_poll = next(self._polls)
        async with self._changed:
            self._changed.notify_all()  # an older call still waiting is now superseded
        offset = int(params.get("offset") or 0)
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        timeout = float(params.get("timeout") or 0)
        if not self._updates and timeout:
            async with self._changed:
                try:
                    await asyncio.wait_for(self._changed.wait_for(
                        lambda: bool(self._updates) or self._closing or self._current_poll != poll), timeout)
                except TimeoutError:
                    return []
        if self._current_poll != poll:
            return None
        allowed = params.get("allowed_updates")
        if allowed:  # Telegram does not deliver update types the bot did not ask for
            self._updates = [u for u in self._updates if next(k for k in u if k != "update_id") in allowed]
        return sorted(self._updates, key=lambda u: u["update_id"])[: int(params.get("limit") or 100)]

