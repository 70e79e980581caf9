"""The shop's knowledge: questions about delivery, returns, care and sizes are answered from the shop's own words
(the tool's text is what the reply quotes), an invented term is never sent, an uncovered question gets the shop's
honest answer with a manager offered and reaches /questions, and a broken knowledge file stops the start."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import openai
import pytest

from catalog.morphology import Morphology
from config.settings import ConfigError
from config.shop import load_shop
from knowledge.file import default_knowledge_file, load_knowledge
from knowledge.questions import group_questions
from knowledge.search import KnowledgeBase
from tests.fakes.openai_api import last_user_text
from tests.harness import Wire, running_bot
from tests.test_handoff import ADMIN
from tests.test_process import run_cli
from tests.test_sale import call, say, tool_result

SHIPPED = Path(str(default_knowledge_file()))
KNOWLEDGE = load_knowledge()
DELIVERY, RETURNS = (next(e.text for e in KNOWLEDGE.entries if e.topic == topic)
                     for topic in ("Доставка по Україні", "Обмін і повернення"))


@pytest.fixture(scope="module")
def base() -> KnowledgeBase:
    return KnowledgeBase(KNOWLEDGE, Morphology())


@pytest.mark.parametrize(("question", "topic"), [
    ("Скільки йде доставка до Львова?", "Доставка по Україні"),
    ("А повернути можна?", "Обмін і повернення"),
    ("можна обміняти, якщо не підійде?", "Обмін і повернення"),
    ("як прати плюш?", "Догляд за плюшем і велюром"),
    ("яка довжина сукні на 128?", "Таблиця розмірів — сукні"),
    ("чи є оплата частинами?", "Оплата"),
    ("ви працюєте у вихідні?", "Графік роботи і контакти"),
    ("є опт?", "Опт і співпраця"),
    ("доствка скільки коштує", "Доставка по Україні"),  # a typo
])
async def test_customers_questions_find_the_shops_topic(base: KnowledgeBase, question: str, topic: str) -> None:
    assert (await base.find(question))[0].topic == topic


@pytest.mark.parametrize("question", ["Ви шиєте на замовлення?", "Яка завтра погода у Києві?"])
async def test_a_question_the_file_does_not_cover_finds_nothing(base: KnowledgeBase, question: str) -> None:
    assert await base.find(question) == []


async def test_meaning_finds_an_entry_no_word_names_and_a_failing_model_leaves_the_words(
    base: KnowledgeBase
) -> None:
    wrapping = [e.topic for e in KNOWLEDGE.entries].index("Подарункове пакування")
    question = "А можна зробити як сюрприз на день народження?"  # no customer word of the wrapping topic

    async def embed(texts: list[str]) -> list[list[float]]:
        """Meaning as a model would give it: the question lies near the wrapping entry, far from the others."""
        def axis(n: int) -> list[float]:
            return [1.0 if i == n else 0.0 for i in range(len(KNOWLEDGE.entries))]
        if texts == [question]:
            return [[0.9 if i == wrapping else 0.05 for i in range(len(KNOWLEDGE.entries))]]
        return [axis(n) for n in range(len(texts))]

    async def down(texts: list[str]) -> list[list[float]]:
        raise openai.APIConnectionError(request=httpx.Request("POST", "http://127.0.0.1/v1/embeddings"))

    assert await base.find(question) == []
    assert [e.topic for e in await KnowledgeBase(KNOWLEDGE, Morphology(), embed).find(question)] == [
        "Подарункове пакування"]
    words_only = KnowledgeBase(KNOWLEDGE, Morphology(), down)
    assert [e.topic for e in await words_only.find("є опт?")] == ["Опт і співпраця"]


def test_the_same_question_in_other_words_is_one_group(base: KnowledgeBase) -> None:
    groups = group_questions(["Ви шиєте на замовлення?", "Чи є у вас примірка?", "А шиєте на замовлення?",
                              "шиєте на замовлення", "Чи є у вас примірка?"], base.lemmas)
    assert [(g.wording, g.count) for g in groups] == [("Ви шиєте на замовлення?", 3), ("Чи є у вас примірка?", 2)]


def broken(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "knowledge.yaml"
    path.write_text(SHIPPED.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "error"), [
    ("    text: |-\n      Оплатити", "    txt: |-\n      Оплатити", "entry 3 ('Оплата'): unknown key 'txt'"),
    ("    text: |-\n      Працюємо з оптовими", "    text: ' '\n    words: |-\n      Працюємо з оптовими",
     "cannot read {path}: line"),  # a key written twice
    ("  - topic: Оплата", "\t- topic: Оплата", "cannot read {path}: line 40, column 1: found character '\\t'"),
    ("  - topic: Оплата", "  - topic: Оплата: карткою", "cannot read {path}: line 40, column 18: mapping values are not allowed"),
    ("    text: |-\n      Працюємо з оптовими", "    text: ' '\n    photo: |-\n      Працюємо з оптовими",
     "entry 12 ('Опт і співпраця'): 'text' is missing"),
    ("  - topic: Доставка за кордон", "  - topic: Доставка по Україні", "entry 2 ('Доставка по Україні'): the topic "
                                                                      "is used twice"),
    ("    # photo: https://mirt.example/size-chart-dresses.png", "    photo: size-chart.png",
     "entry 8 ('Таблиця розмірів — сукні'): 'photo' must be an http(s) link"),
    ("not_covered: |-", "not_covered_text: |-", "unknown key 'not_covered_text'"),
])
def test_a_malformed_entry_is_named_with_the_file(tmp_path: Path, old: str, new: str, error: str) -> None:
    path = broken(tmp_path, old, new)
    with pytest.raises(ConfigError) as raised:
        load_knowledge(path)
    assert str(raised.value).startswith("KNOWLEDGE_FILE: ") and error.format(path=path) in str(raised.value)
    assert str(path) in str(raised.value)


def test_a_malformed_knowledge_file_stops_the_bot_with_exit_2_naming_file_and_entry(tmp_path: Path) -> None:
    path = broken(tmp_path, "    text: |-\n      Обміняти", "    txt: |-\n      Обміняти")
    result = run_cli(tmp_path, BOT_TOKEN="1:x", OPENAI_API_KEY="sk-x", KNOWLEDGE_FILE=str(path))
    assert result.returncode == 2
    line = (f"configuration error: KNOWLEDGE_FILE: {path}: entry 4 ('Обмін і повернення'): unknown key 'txt' "
            "(expected photo, text, topic, words)")
    assert result.stderr.strip().splitlines() == [line]
    checked = run_cli(tmp_path, "knowledge", "check", str(path))  # the same check without starting anything
    assert checked.returncode == 2 and checked.stderr.strip() == line
    good = run_cli(tmp_path, "knowledge", "check")
    assert good.returncode == 0 and "OK, 13 topics" in good.stdout


def knowledgeable(answer: Any) -> Any:
    """A model that asks shop_info with the customer's words, then answers with `answer(found)`."""

    def script(request: dict[str, Any]) -> Any:
        if request.get("response_format", {}).get("json_schema", {}).get("name") != "reply":
            return json.dumps({"facts": []})  # the memory's extraction: nothing to remember
        result = tool_result(request)
        if result is None:
            return call("shop_info", question=last_user_text(request))
        return answer(result)

    return script


def quote(result: dict[str, Any]) -> str:
    if not result["found"]:
        return say("Дякую за питання!", state="STATE_1_DISCOVERY")
    return say(result["entries"][0]["text"], state="STATE_1_DISCOVERY")


async def test_delivery_and_returns_are_answered_in_the_shops_words(wire: Wire, db: asyncpg.Pool) -> None:
    chat = 1601
    wire.openai.script = knowledgeable(quote)
    async with running_bot(wire):
        wire.telegram.send(chat, "Скільки йде доставка до Львова?")
        [delivery] = await wire.telegram.wait_for_messages(chat, 1)
        wire.telegram.send(chat, "А повернути можна?")
        _, returns = await wire.telegram.wait_for_messages(chat, 2)
    assert delivery == DELIVERY and "Посилка йде 1–3 дні" in delivery
    assert returns == RETURNS and "протягом 14 днів" in returns
    results = [json.loads(m["content"]) for r in wire.openai.requests_for("reply") for m in r["messages"]
               if m["role"] == "tool"]
    assert [r["entries"][0]["text"] for r in results] == [DELIVERY, RETURNS]  # the reply quotes the tool's text
    assert await db.fetchval("SELECT count(*) FROM unanswered_questions WHERE session_id = $1", str(chat)) == 0


SHOP = load_shop(None)


async def test_a_return_period_the_file_does_not_give_is_never_sent(wire: Wire, db: asyncpg.Pool) -> None:
    chat = 1602
    wire.openai.script = knowledgeable(lambda result: say("Так, повернення 30 днів з дня отримання 😊",
                                                         state="STATE_1_DISCOVERY"))
    async with running_bot(wire):
        wire.telegram.send(chat, "А повернути можна?")
        [reply] = await wire.telegram.wait_for_messages(chat, 1)
    assert reply == SHOP.text("fact_unsure")  # "уточню в менеджера", the manager offered; not "уточню ціну"
    assert len(wire.openai.requests_for("reply")) == 4  # asked, answered, regenerated (asked again, answered)


async def test_a_corrected_return_period_reaches_the_customer(wire: Wire, db: asyncpg.Pool) -> None:
    chat = 1603
    answers = iter(["Так, повернення 30 днів з дня отримання 😊", "Так, повернути можна протягом 14 днів 😊"])
    wire.openai.script = knowledgeable(lambda result: say(next(answers), state="STATE_1_DISCOVERY"))
    async with running_bot(wire):
        wire.telegram.send(chat, "А повернути можна?")
        assert await wire.telegram.wait_for_messages(chat, 1) == ["Так, повернути можна протягом 14 днів 😊"]


async def test_an_uncovered_question_gets_the_honest_answer_and_reaches_questions(
    wire: Wire, db: asyncpg.Pool
) -> None:
    first, second = 1604, 1605
    wire.openai.script = knowledgeable(quote)
    async with running_bot(wire, admin_ids=str(ADMIN)):
        wire.telegram.send(ADMIN, "/questions")
        [nothing] = await wire.telegram.wait_for_messages(ADMIN, 1)
        wire.telegram.send(first, "Ви шиєте на замовлення?")
        said = await wire.telegram.wait_for_messages(first, 2)
        wire.telegram.send(second, "А шиєте на замовлення?")
        await wire.telegram.wait_for_messages(second, 2)
        wire.telegram.send(second, "Скільки йде доставка до Львова?")  # covered: not a question for the shop
        await wire.telegram.wait_for_messages(second, 3)
        wire.telegram.send(ADMIN, "/questions")
        _, listed = await wire.telegram.wait_for_messages(ADMIN, 2)
    assert said == ["Дякую за питання!", KNOWLEDGE.not_covered]
    assert "менеджер" in KNOWLEDGE.not_covered
    assert nothing.startswith("За тиждень усі питання")
    assert listed.splitlines() == [
        "Питання без відповіді за тиждень: 2 (1 різних). Додайте відповіді у файл знань:",
        "2 × Ви шиєте на замовлення?"]


async def test_the_size_chart_picture_from_the_file_is_sent_with_the_answer(
    wire: Wire, db: asyncpg.Pool, tmp_path: Path
) -> None:
    chat, picture = 1606, "https://mirt.example/size-chart-dresses.png"
    path = broken(tmp_path, f"    # photo: {picture}", f"    photo: {picture}  #")
    wire.openai.script = knowledgeable(quote)
    async with running_bot(wire, knowledge_file=str(path)):
        wire.telegram.send(chat, "Яка довжина сукні на 128?")
        await wire.telegram.wait_for(lambda: bool(wire.telegram.calls_of("sendPhoto")))
    assert "довжина сукні 70" in wire.telegram.sent_to(chat)[0]
    [photo] = wire.telegram.calls_of("sendPhoto")
    assert photo.params["photo"] == picture and int(photo.params["chat_id"]) == chat


@pytest.mark.parametrize(("answer", "sent"), [
    ("Довжина сукні на 122-128 — 70 см, рукав 43 см.", True),  # the file's measures in other words
    ("Довжина сукні на 122-128 — 75 см.", False),  # a measure the file does not give
])
async def test_a_measure_is_said_only_as_the_size_chart_gives_it(
    wire: Wire, db: asyncpg.Pool, answer: str, sent: bool
) -> None:
    chat = 1607 if sent else 1608
    wire.openai.script = knowledgeable(lambda result: say(answer, state="STATE_1_DISCOVERY"))
    async with running_bot(wire):
        wire.telegram.send(chat, "Яка довжина сукні на 128?")
        [reply] = await wire.telegram.wait_for_messages(chat, 1)
    assert (reply == answer) is sent
