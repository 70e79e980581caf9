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
This module holds the state, what a test does and the dispatch of a call; what Telegram delivers (updates and
getUpdates) is in tests/fakes/telegram_updates.py, what it answers to what the bot sends in
tests/fakes/telegram_answers.py.
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
from tests.fakes.telegram_answers import BOT_ID, Answers
from tests.fakes.telegram_business import BusinessAccount
from tests.fakes.telegram_customers import CustomerKinds
from tests.fakes.telegram_limits import CONFLICT, Refused
from tests.fakes.telegram_updates import Updates

DOWNLOAD_LIMIT = 20 * 1024 * 1024  # bytes a bot may download through getFile (Bot API, getFile)
TOKEN = f"{BOT_ID}:AAF4k3T0k3nF0rT3st1ngTh3MirtB0tXYZ"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


class FakeTelegram(Updates, Answers, BusinessAccount, CustomerKinds, LocalServer):
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

    def messages_in(self, chat_id: int) -> list[dict[str, Any]]:
        """Every message the bot put into this chat (sent, copied, edited in place), as Telegram holds it."""
        return [m for (c, _), m in self._messages.items() if c == chat_id and m["from"]["id"] == BOT_ID]

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


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
