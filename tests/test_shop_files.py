"""The shop's editable files: a missing text or a file saved in the wrong encoding stops the start with one
clear line, never a fallback text or "?????" shown to a customer."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest

from catalog.texts import Text, load_texts
from config.settings import ConfigError
from config.shop import load_shop
from knowledge.file import default_knowledge_file, load_knowledge
from tests.test_process import run_cli

SHIPPED = Path(str(resources.files("config") / "shop.uk.yaml"))


def test_a_shop_file_without_a_text_stops_the_bot_with_exit_2_naming_it(tmp_path: Path) -> None:
    edited = SHIPPED.read_text(encoding="utf-8").replace("  price_unsure:", "  price_unsure_old:")
    (tmp_path / "shop.yaml").write_text(edited, encoding="utf-8")
    result = run_cli(tmp_path, BOT_TOKEN="1:x", OPENAI_API_KEY="sk-x", SHOP_FILE=str(tmp_path / "shop.yaml"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"configuration error: SHOP_FILE: text 'price_unsure' is missing in {tmp_path / 'shop.yaml'}"]


@pytest.mark.parametrize(("shipped", "load"), [(SHIPPED, load_shop), (Path(str(default_knowledge_file())),
                                                                       load_knowledge)])
def test_a_shop_file_saved_in_windows_1251_is_refused_not_garbled(
    tmp_path: Path, shipped: Path, load: Callable[[Path], object]
) -> None:
    path = tmp_path / "shop.yaml"
    path.write_bytes(shipped.read_text(encoding="utf-8").encode("cp1251", errors="replace"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        load(path)


def test_catalog_texts_must_all_be_present(tmp_path: Path) -> None:
    shipped = (resources.files("catalog") / "texts.uk.yaml").read_text(encoding="utf-8")
    path = tmp_path / "texts.uk.yaml"
    path.write_text(shipped.replace("phone_too_short:", "phone_short:"), encoding="utf-8")
    with pytest.raises(ConfigError, match="lacks the text 'phone_too_short'"):
        load_texts(path)
    assert load_texts().render(Text.BRANCH, number=25) == "Відділення №25"
