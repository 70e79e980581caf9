"""Strict loading of the shop's Ukrainian text files: every text the code names must be there, no fallbacks.

A broken file stops the process at start with a configuration error naming the file and the text.
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


def read_templates(source: Path | Traversable, names: type[Name]) -> dict[Name, str]:
    try:
        data = yaml.safe_load(source.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {source}: {exc}".splitlines()[0]) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{source} must be a mapping of text names to texts")
    missing = [name.value for name in names if not str(data.get(name.value) or "").strip()]
    if missing:
        raise ConfigError(f"{source} lacks the text '{missing[0]}'")
    return {name: str(data[name.value]).strip() for name in names}
