"""What the fake Bot API answers to what the bot sends (https://core.telegram.org/bots/api#available-methods): the
refusals of a gone chat (400 chat not found), a blocked bot (403), a topic outside a forum and an edit that changes
nothing or finds no message, on top of the limits of tests/fakes/telegram_limits.py; and the results as Telegram
shapes them: the sent Message (a copy carries the original's content, not its origin), the edited Message, the Chat,
a BusinessConnection, a ForumTopic, a File, and the file's bytes through the file URL.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from aiohttp import web

from tests.fakes.telegram_business import BOT_USER
from tests.fakes.telegram_limits import (
    BLOCKED, CHAT_NOT_FOUND, EDIT_NOT_FOUND, KICKED, NOT_A_FORUM, NOT_MODIFIED, Refused, check_outgoing,
)

BOT_ID = BOT_USER["id"]
# What a copy carries over from the original (copyMessage copies any message's content, not its origin).
_CONTENT = ("text", "caption", "photo", "document", "voice", "video_note", "sticker", "contact")


class Answers:
    """Mixed into FakeTelegram, which provides the state below and `_sent_for_account` (Business sends)."""

    files: dict[str, bytes]
    forums: set[int]
    gone: set[int]
    blocked: set[int]
    business: dict[str, dict[str, Any]]
    _messages: dict[tuple[int, int], dict[str, Any]]
    _message_ids: itertools.count[int]
    _delivered: dict[int, list[str]]
    _threads: itertools.count[int]

    def _refuse(self, method: str, params: dict[str, Any]) -> None:
        """Raise Refused when the real Bot API would refuse this call."""
        chat_id = int(params["chat_id"]) if str(params.get("chat_id", "")).lstrip("-").isdigit() else None
        if chat_id in self.gone:
            raise Refused(400, CHAT_NOT_FOUND)
        if chat_id in self.blocked and method.startswith(("send", "copy", "forward")):
            raise Refused(403, BLOCKED if chat_id > 0 else KICKED)
        check_outgoing(method, params)
        if method == "createForumTopic" and chat_id not in self.forums:
            raise Refused(400, NOT_A_FORUM)
        if method == "editMessageText":
            message = self._messages.get((chat_id or 0, int(params.get("message_id") or 0)))
            if message is None:
                raise Refused(400, EDIT_NOT_FOUND)
            if message.get("text") == params["text"] and message.get("reply_markup") == params.get("reply_markup"):
                raise Refused(400, NOT_MODIFIED)


    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method in {"sendMessage", "sendPhoto", "copyMessage", "forwardMessage"}:
            chat_id = int(params["chat_id"])
            message = {"message_id": next(self._message_ids), "date": int(time.time()),
                       "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
                       "from": {"id": BOT_ID, "is_bot": True, "first_name": "MIRT"}}
            if method == "copyMessage":  # the copy has the original's content, without saying where it came from
                original = self._messages[(int(params["from_chat_id"]), int(params["message_id"]))]
                message.update({k: original[k] for k in _CONTENT if k in original})
                if "text" in original or "caption" in original:
                    self._delivered.setdefault(chat_id, []).append(original.get("text") or original["caption"])
            for key in ("text", "reply_markup", "message_thread_id", "caption"):
                if key in params:
                    message[key] = params[key]
            if "inline_keyboard" not in (message.get("reply_markup") or {"inline_keyboard": []}):
                message.pop("reply_markup")  # Message.reply_markup is only ever an inline keyboard (Bot API)
            self._messages[(chat_id, message["message_id"])] = message
            if params.get("business_connection_id"):
                self._sent_for_account(message, params["business_connection_id"])
            if method == "copyMessage":
                return {"message_id": message["message_id"]}
            return message
        if method == "editMessageText":
            message = self._messages[(int(params["chat_id"]), int(params["message_id"]))]
            message["text"] = params["text"]
            message.pop("reply_markup", None)
            if "reply_markup" in params:
                message["reply_markup"] = params["reply_markup"]
            return message
        if method == "getChat":
            chat_id = int(params["chat_id"])
            return {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup", "accent_color_id": 0,
                    "max_reaction_count": 11, "is_forum": chat_id in self.forums or None,
                    "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                                            "premium_subscription": False, "gifts_from_channels": False}}
        if method == "getBusinessConnection":
            return self.business[params["business_connection_id"]]
        if method == "createForumTopic":
            return {"message_thread_id": next(self._threads), "name": params["name"], "icon_color": 7322096}
        if method == "getFile":
            file_id = params["file_id"]
            return {"file_id": file_id, "file_unique_id": f"u-{file_id}", "file_size": len(self.files[file_id]),
                    "file_path": f"files/{file_id}"}
        return True


    async def _file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["path"].removeprefix("files/")
        if file_id not in self.files:
            raise web.HTTPNotFound()
        return web.Response(body=self.files[file_id], content_type="application/octet-stream")

