"""Strict loading of the shop's Ukrainian text files: every text the code names must be there, no fallbacks.

A broken file (not UTF-8, not YAML, a key written twice, a text missing) stops the process at start with a
configuration error naming the file and the text.
"""

from __future__ import annotations

from enum import StrEnum
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml

from bot.settings import ConfigError

Name = TypeVar("Name", bound=StrEnum)


class Templates(Generic[Name]):
    """A text file's templates by name; a value that is itself a name is rendered first."""

    def __init__(self, templates: dict[Name, str]) -> None:
        self._templates = templates

    def render(self, name: Name, /, **values: Any) -> str:
        filled = {k: self.render(v) if isinstance(v, StrEnum) and v in self._templates else v
                  for k, v in values.items()}
        return self._templates[name].format(**filled)


class _StrictLoader(yaml.SafeLoader):
    """YAML that refuses a key written twice in one mapping: plain YAML keeps the last one silently, so a second
    `text:` pasted into an entry would replace the first without a word."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.YAMLError(f"line {key_node.start_mark.line + 1}: the key '{key}' is written twice")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_shop_file(source: Path | Traversable, setting: str | None = None) -> Any:
    """The YAML of one of the shop's files. Raises ConfigError, starting with `setting` (the variable that names
    the file) when given, for a file that cannot be read, is not UTF-8, is not YAML or repeats a key."""
    prefix = f"{setting}: " if setting else ""
    try:
        return yaml.load(source.read_bytes().decode("utf-8"), Loader=_StrictLoader)  # noqa: S506 (a SafeLoader)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{prefix}{source} is not UTF-8 (byte {exc.start}); save it as UTF-8") from None
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{prefix}cannot read {source}: {exc}".splitlines()[0]) from None


def read_templates(source: Path | Traversable, names: type[Name]) -> dict[Name, str]:
    data = read_shop_file(source)
    if not isinstance(data, dict):
        raise ConfigError(f"{source} must be a mapping of text names to texts")
    missing = [name.value for name in names if not str(data.get(name.value) or "").strip()]
    if missing:
        raise ConfigError(f"{source} lacks the text '{missing[0]}'")
    return {name: str(data[name.value]).strip() for name in names}
