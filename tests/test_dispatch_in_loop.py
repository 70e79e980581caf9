"""Every filter and handler of the dispatcher runs in the event loop. aiogram hands a callable that is not a coroutine
function (its magic `F` filters too) to a worker thread for every update it is tried on (aiogram 3.31,
dispatcher/event/handler.py): per message, thread hand-offs and GIL switches that delay every other chat."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from aiogram import F, Router
from aiogram.types import Chat, Message

from handlers import build_dispatcher
from handlers.filters import InLoop


def run_in_threads(router: Router) -> Iterator[str]:
    for name, observer in router.observers.items():
        for check in observer._handler.filters or []:
            if not check.awaitable:
                yield f"{router.name}.{name} filter {check.callback!r}"
        for handler in observer.handlers:
            for callable_ in [handler, *(handler.filters or [])]:
                if not callable_.awaitable:
                    yield f"{router.name}.{name} {callable_.callback!r}"
    for sub in router.sub_routers:
        yield from run_in_threads(sub)


def test_no_filter_or_handler_of_the_bot_runs_in_a_thread() -> None:
    assert list(run_in_threads(build_dispatcher(None, None, None))) == []  # type: ignore[arg-type]


def test_the_check_finds_a_magic_filter_and_a_plain_function() -> None:
    router = Router(name="probe")
    router.message.register(lambda: None, F.text == "так")
    assert len(list(run_in_threads(router))) == 2


async def test_in_loop_answers_as_the_magic_filter_would() -> None:
    def message(text: str) -> Message:
        return Message(message_id=1, date=datetime.now(UTC), chat=Chat(id=7, type="private"), text=text)

    private, yes = InLoop(F.chat.type == "private"), InLoop(F.text == "так")
    assert await private(message("так")) and await yes(message("так"))
    assert not await yes(message("ні"))
    assert await InLoop(lambda m: m.text.upper())(message("так")) == "ТАК"
