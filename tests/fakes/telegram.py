"""A fake Telegram Bot API on 127.0.0.1 that the real aiogram client long-polls.

getUpdates honours offset confirmation like Telegram (updates below the offset are forgotten, the rest are
delivered again), every call is recorded, and errors (429 with retry_after, 403, 5xx, 400 with
parameters.migrate_to_chat_id) can be injected per method or per chat. Customers can send what Telegram delivers
(https://core.telegram.org/bots/api#message): text, photos, albums (media_group_id), documents, contacts, voice and
video notes, stickers, and edits (`edited_message`); their files are served through getFile and the file URL, and
getFile refuses files over Telegram's 20 MB download limit as the Bot API does.
What the real API refuses, it refuses here too, with its codes and texts (tests/fakes/telegram_limits.py): another
token (401), text or captions over their limits, bad HTML, callback data over 64 bytes, a second getUpdates poller
(409 for the older one), editing a message to the same content, topics in a group that is not a forum, a chat that
is gone (400 chat not found) or that blocked the bot (403).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.server import LocalServer
from tests.fakes.telegram_business import BOT_USER, BusinessAccount
from tests.fakes.telegram_customers import CustomerKinds
from tests.fakes.telegram_limits import (
    BLOCKED, CHAT_NOT_FOUND, CONFLICT, EDIT_NOT_FOUND, KICKED, NOT_A_FORUM, NOT_MODIFIED, Refused, check_outgoing,
)

BOT_ID = BOT_USER["id"]
# Telegram numbers updates per bot, not per connection: tests sharing a module's database never reuse an id.
_UPDATE_IDS = itertools.count(1000)
# What a copy carries over from the original (copyMessage copies any message's content, not its origin).
_CONTENT = ("text", "caption", "photo", "document", "voice", "video_note", "sticker", "contact")
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # bytes a bot may download through getFile (Bot API, getFile)
TOKEN = f"{BOT_ID}:AAF4k3T0k3nF0rT3st1ngTh3MirtB0tXYZ"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


class FakeTelegram(BusinessAccount, CustomerKinds, LocalServer):
    def __init__(self, refusals: list[str] | None = None) -> None:
        """`refusals`: where what this fake refuses is written down (shared with the other fakes of a test)."""
        super().__init__()
        self.calls: list[Call] = []
        self.refusals = refusals if refusals is not None else []  # what the real API would have refused, in order
        self.files: dict[str, bytes] = {}
        self._updates: list[dict[str, Any]] = []
        self._message_ids = itertools.count(1)
        self._errors: dict[str, list[tuple[int, str, dict[str, Any]]]] = {}
        self._changed = asyncio.Condition()
        self._closing = False
        self._delivered: dict[int, list[str]] = {}  # chat → texts the bot sent there successfully
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}  # (chat, message_id) → every message seen
        self.forums: set[int] = set()  # group chats that are forums (getChat says is_forum)
        self._threads = itertools.count(500)
        self.business: dict[str, dict[str, Any]] = {}  # connection id → BusinessConnection as Telegram holds it
        self._chat_errors: dict[int, tuple[int, str, dict[str, Any]]] = {}  # chat → error until recover(chat)
        self._file_sizes: dict[str, int] = {}  # file_id → size Telegram reports (may exceed the bytes served)
        self.last_incoming: dict[int, int] = {}  # chat → message_id of the last message a user sent there
        self.gone: set[int] = set()  # chats that do not exist for the bot (deleted, never reachable)
        self.blocked: set[int] = set()  # private chats whose user blocked the bot, groups that removed it
        self._polls = itertools.count(1)
        self._current_poll = 0  # the newest getUpdates call; an older one still waiting is answered 409

    # --- running ---------------------------------------------------------------------------------------------

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)

    async def stop(self) -> None:
        self._closing = True  # long polls still open answer at once
        async with self._changed:
            self._changed.notify_all()
        await super().stop()

    # --- what a test does --------------------------------------------------------------------------------------

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

    def messages_in(self, chat_id: int) -> list[dict[str, Any]]:
        """Every message the bot put into this chat (sent, copied, edited in place), as Telegram holds it."""
        return [m for (c, _), m in self._messages.items() if c == chat_id and m["from"]["id"] == BOT_ID]

    def deliver(self, update: dict[str, Any], update_id: int | None = None) -> int:
        update_id = update_id if update_id is not None else next(_UPDATE_IDS)
        self._updates.append({"update_id": update_id, **update})
        self._notify()
        return update_id

    def fail(self, method: str, status: int, description: str, times: int = 1, **parameters: Any) -> None:
        """The next `times` calls of `method` answer with this error."""
        self._errors.setdefault(method, []).extend([(status, description, parameters)] * times)

    def fail_chat(self, chat_id: int, status: int, description: str, **parameters: Any) -> None:
        """Every call about `chat_id` answers with this error until `recover(chat_id)` (a group that removed the
        bot: 403; a group upgraded to a supergroup: 400 with migrate_to_chat_id)."""
        self._chat_errors[chat_id] = (status, description, parameters)

    def recover(self, chat_id: int) -> None:
        self._chat_errors.pop(chat_id, None)

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def sent_to(self, chat_id: int) -> list[str]:
        """Texts of the messages the bot successfully sent into this chat, in order."""
        return self._delivered.get(chat_id, [])

    def answered_chats(self) -> set[int]:
        return set(self._delivered)

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 15) -> None:
        """Wait until `condition()` holds; it is re-checked on every API call, never by sleeping. When it does not
        within `timeout` seconds, AssertionError names what the fakes refused meanwhile (the likely reason)."""
        try:
            async with self._changed:
                await asyncio.wait_for(self._changed.wait_for(condition), timeout)
        except TimeoutError:
            if self.refusals:
                raise AssertionError(f"waited {timeout} s in vain; the fakes refused: {self.refusals}") from None
            raise

    async def wait_for_messages(self, chat_id: int, count: int = 1, timeout: float = 15) -> list[str]:
        await self.wait_for(lambda: len(self.sent_to(chat_id)) >= count, timeout)
        return self.sent_to(chat_id)

    # --- the API -----------------------------------------------------------------------------------------------

    def _notify(self) -> None:
        async def notify() -> None:
            async with self._changed:
                self._changed.notify_all()

        asyncio.get_running_loop().create_task(notify())

    def _refused(self, method: str, params: dict[str, Any], status: int, description: str) -> web.Response:
        """An answer the real API gives to a call it refuses (not an error a test asked for): written down."""
        self.refusals.append(f"Telegram {method} {status}: {description}")
        return self._error(params, status, description)

    @staticmethod
    def _error(params: dict[str, Any], status: int, description: str, **parameters: Any) -> web.Response:
        params["_failed"] = True
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=status)

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != TOKEN:  # Telegram: 401 for a token it does not know, 404 for no token
            valid = ":" in request.match_info["token"]
            self.refusals.append(f"Telegram {method} {401 if valid else 404}: token {request.match_info['token']!r}")
            return web.json_response({"ok": False, "error_code": 401 if valid else 404,
                                      "description": "Unauthorized" if valid else "Not Found"},
                                     status=401 if valid else 404)
        params = await self._params(request)
        call = Call(method, params)
        self.calls.append(call)
        self._notify()
        try:
            queued = self._errors.get(method)
            chat_error = self._chat_errors.get(_int(params.get("chat_id")))
            if queued or chat_error:
                status, description, parameters = queued.pop(0) if queued else chat_error  # type: ignore[misc]
                return self._error(params, status, description, **(parameters or {}))
            refusal = self._business_refusal(method, params)
            if refusal is not None:
                return self._refused(method, params, 400, refusal)
            if method == "getFile" and self._file_sizes.get(params["file_id"], 0) > DOWNLOAD_LIMIT:
                return self._refused(method, params, 400, "Bad Request: file is too big")
            if method == "getUpdates":
                updates = await self._get_updates(params)
                if updates is None:
                    return self._refused(method, params, 409, CONFLICT)
                return web.json_response({"ok": True, "result": updates})
            try:
                self._refuse(method, params)
            except Refused as refused:
                return self._refused(method, params, refused.status, refused.description)
            if method == "sendMessage":
                self._delivered.setdefault(int(params["chat_id"]), []).append(params.get("text", ""))
            copied = (int(params.get("from_chat_id") or 0), int(params.get("message_id") or 0))
            if method == "copyMessage" and copied not in self._messages:
                return self._refused(method, params, 400, "Bad Request: message to copy not found")
            return web.json_response({"ok": True, "result": self._result(method, params)})
        finally:
            self._notify()

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        if request.content_type == "application/json":
            return dict(await request.json())
        params: dict[str, Any] = {}
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                params[key] = value.file.read()
                continue
            try:
                params[key] = json.loads(value)
            except (TypeError, ValueError):
                params[key] = value
        for key, value in list(params.items()):  # a file sent as its own part: "attach://<part name>"
            if isinstance(value, str) and value.startswith("attach://"):
                params[key] = params.pop(value.removeprefix("attach://"))
        return params

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


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
