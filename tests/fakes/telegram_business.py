"""Telegram Business in the fake Bot API: a shop's account connected to the bot, its customers writing to it, the
owner typing by hand, and sends through the connection.

Built from the Bot API documentation (https://core.telegram.org/bots/api#businessconnection, #update, #message): a
`business_connection` update carries BusinessConnection (id, user, user_chat_id, date, rights, is_enabled);
`business_message` a Message with `business_connection_id`, also for the account's own outgoing messages, where
`sender_business_bot` names the bot when the bot sent it. The send methods take `business_connection_id`; Telegram
refuses one the bot may not use with invokeWithBusinessConnection's errors (BUSINESS_CONNECTION_INVALID for an unknown
connection, BUSINESS_CONNECTION_NOT_ALLOWED here for a disabled one or one without the right to reply).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from typing import Any

OWNER_ID = 6100000001
BOT_USER = {"id": 7000000001, "is_bot": True, "first_name": "MIRT", "username": "mirt_shop_bot"}
_CONNECTIONS = itertools.count(1)


class BusinessAccount:
    """Mixed into FakeTelegram, which provides deliver, calls, _message_ids and business."""

    business: dict[str, dict[str, Any]]
    calls: list[Any]
    _message_ids: itertools.count[int]
    deliver: Callable[..., int]

    def connect_business(self, *, enabled: bool = True, can_reply: bool = True, connection_id: str | None = None,
                         owner_id: int = OWNER_ID, first_name: str = "Марина") -> str:
        """The shop's owner connects the bot to their account (or changes the connection); returns its id."""
        connection_id = connection_id or f"bc-{next(_CONNECTIONS)}"
        self.business[connection_id] = {
            "id": connection_id, "user_chat_id": owner_id, "date": int(time.time()), "is_enabled": enabled,
            "user": {"id": owner_id, "is_bot": False, "first_name": first_name},
            "rights": {"can_reply": True, "can_read_messages": True} if can_reply else {"can_read_messages": True},
        }
        self.deliver({"business_connection": self.business[connection_id]})
        return connection_id

    def business_send(self, connection_id: str, chat_id: int, text: str, *, by_owner: bool = False,
                      first_name: str = "Ірина") -> int:
        """A message in the account's chat with customer `chat_id`: the customer's, or (`by_owner`) the owner's
        typed by hand. Returns the update_id."""
        owner = self.business[connection_id]["user"]
        sender = owner if by_owner else {"id": chat_id, "is_bot": False, "first_name": first_name,
                                          "language_code": "uk"}
        message = {"message_id": next(self._message_ids), "date": int(time.time()), "text": text,
                   "business_connection_id": connection_id, "from": sender,
                   "chat": {"id": chat_id, "type": "private", "first_name": first_name}}
        return self.deliver({"business_message": message})

    def _business_refusal(self, method: str, params: dict[str, Any]) -> str | None:
        """Telegram's error for a send through a connection it would not use; None when the send may go."""
        connection_id = params.get("business_connection_id")
        if not connection_id or method == "getBusinessConnection" and connection_id in self.business:
            return None
        connection = self.business.get(connection_id)
        if connection is None:
            return "Bad Request: BUSINESS_CONNECTION_INVALID"
        if not connection["is_enabled"] or not connection["rights"].get("can_reply"):
            return "Bad Request: BUSINESS_CONNECTION_NOT_ALLOWED"
        return None

    def _sent_for_account(self, message: dict[str, Any], connection_id: str) -> None:
        """A message the bot sent through the connection is the account's message: from the owner, with
        sender_business_bot; Telegram reports it as a business_message too."""
        message.update({"from": self.business[connection_id]["user"], "sender_business_bot": BOT_USER,
                        "business_connection_id": connection_id})
        self.deliver({"business_message": dict(message)})

    def business_sends(self, chat_id: int) -> list[dict[str, Any]]:
        """Parameters of every call the bot made into this chat (sends, typing), failed ones included."""
        return [c.params for c in self.calls if str(c.params.get("chat_id")) == str(chat_id)]
