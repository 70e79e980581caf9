"""Placeholders the shop writes in its own files ("Сума: {сума} грн" for "{amount}", "Вітаю, {ім'я}!"): the file is
refused at start with one line naming the file, the text, the unknown placeholder and the ones that text may use,
instead of loading and then leaving every customer who reaches that text without an answer."""

from __future__ import annotations

from dataclasses import replace
from importlib import resources
from pathlib import Path

import pytest

from catalog.texts import Text, load_texts
from config.settings import ConfigError
from config.shop import load_shop
from memory.texts import load_texts as load_memory_texts
from outbound.texts import load_admin_texts
from tests.test_process import run_cli
from tests.test_shop_files import SHIPPED


def _edited(tmp_path: Path, shipped: Path, old: str, new: str) -> Path:
    source = shipped.read_text(encoding="utf-8")
    assert old in source
    path = tmp_path / shipped.name
    path.write_text(source.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_placeholder_of_the_shops_own_in_the_requisites_stops_the_start_naming_it(tmp_path: Path) -> None:
    path = _edited(tmp_path, SHIPPED, "Сума: {amount} грн", "Сума: {сума} грн")
    result = run_cli(tmp_path, BOT_TOKEN="1:x", OPENAI_API_KEY="sk-x", SHOP_FILE=str(path))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"configuration error: SHOP_FILE: {path}: text 'payment.requisites' uses the unknown placeholder {{сума}}; "
        "it may use {amount}, {order}"]


@pytest.mark.parametrize(("old", "new", "key", "unknown"), [
    ("Вітаю! Я {persona}", "Вітаю, {ім'я}! Я {persona}", "greeting", "{ім'я}"),
    ("Ціна: {price} грн", "Ціна: {ціна} грн", "card_caption", "{ціна}"),
    ("Ще думаєте над {model}?", "Ще думаєте над {customer}?", "followups.offer", "{customer}"),
    ("Сума: {amount} грн", "Сума: {amount грн", "payment.requisites", "broken placeholder"),
    ("Сума: {amount} грн", "Сума: {} грн", "payment.requisites", "placeholder {}"),
])
def test_every_shop_text_may_use_only_what_the_code_fills(tmp_path: Path, old: str, new: str, key: str,
                                                           unknown: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_shop(_edited(tmp_path, SHIPPED, old, new))
    assert f"text '{key}'" in str(refused.value) and unknown in str(refused.value)
    assert "{persona}" in str(refused.value) or key == "payment.requisites"  # what it may use is listed


def test_the_shipped_texts_use_their_placeholders_freely(tmp_path: Path) -> None:
    """A shop may move, repeat or drop a placeholder its text already has."""
    path = _edited(tmp_path, SHIPPED, "Вітаю! Я {persona}", "Вітаю! Я {persona} з {shop}, {persona}")
    assert load_shop(path).text("greeting").startswith("Вітаю! Я Олена з MIRT, Олена")


@pytest.mark.parametrize(("package", "load", "old", "new"), [
    ("catalog", load_texts, "Відділення №{number}", "Відділення №{номер}"),
    ("memory", load_memory_texts, "факти: {facts}", "факти: {клієнт}"),
    ("outbound", load_admin_texts, "Причина: {reason}", "Причина: {клієнт}"),
])
def test_the_other_text_files_are_checked_the_same_way(tmp_path: Path, package: str, load: object, old: str,
                                                       new: str) -> None:
    shipped = Path(str(resources.files(package) / "texts.uk.yaml"))
    with pytest.raises(ConfigError, match=r"uses the unknown placeholder \{(номер|клієнт)\}; it may use"):
        load(_edited(tmp_path, shipped, old, new))  # type: ignore[operator]


def test_a_text_that_cannot_be_filled_at_runtime_still_answers_the_customer() -> None:
    """Defence in depth behind the load-time check: the generic answer, never nothing."""
    shop = load_shop(None)
    broken = replace(shop, texts={**shop.texts, "greeting": "Вітаю, {ім'я}!"})
    assert broken.text("greeting") == shop.text("cannot_answer")
    texts = load_texts()
    assert texts.render(Text.BRANCH) == "Відділення №{number}"  # the code forgot a value: the text, not an error
