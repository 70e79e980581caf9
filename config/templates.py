"""Strict loading of the shop's Ukrainian text files: every text the code names must be there, no fallbacks.

A broken file (not UTF-8, not YAML, a key written twice, a text missing) stops the process at start with a
configuration error naming the file and the text.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from importlib.resources.abc import Traversable
from pathlib import Path
from string import Formatter
from typing import Any, Generic, TypeVar

import structlog
import yaml

from config.settings import ConfigError

Name = TypeVar("Name", bound=StrEnum)
FORMAT_ERRORS = (KeyError, IndexError, ValueError, AttributeError)  # what str.format raises for a bad placeholder
log = structlog.get_logger(__name__)


class Templates(Generic[Name]):
    """A text file's templates by name; a value that is itself a name is rendered first."""

    def __init__(self, templates: dict[Name, str]) -> None:
        self._templates = templates

    def render(self, name: Name, /, **values: Any) -> str:
        filled = {k: self.render(v) if isinstance(v, StrEnum) and v in self._templates else v
                  for k, v in values.items()}
        try:
            return self._templates[name].format(**filled)
        except FORMAT_ERRORS as exc:  # checked at load; a code change that passes other values still answers
            log.error("template_not_filled", template=name.value, error=repr(exc))
            return self._templates[name]


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
    the file) when given, for a file that cannot be read, is not UTF-8, is not YAML (with the line and column of
    the problem) or repeats a key."""
    prefix = f"{setting}: " if setting else ""
    try:
        return yaml.load(source.read_bytes().decode("utf-8"), Loader=_StrictLoader)  # noqa: S506 (a SafeLoader)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{prefix}{source} is not UTF-8 (byte {exc.start}); save it as UTF-8") from None
    except yaml.MarkedYAMLError as exc:  # where the shop's editor shows it: line and column, counted from 1
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = f"{exc.problem or exc.context}".splitlines()[0]
        raise ConfigError(f"{prefix}cannot read {source}: {where}{problem}") from None
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{prefix}cannot read {source}: {exc}".splitlines()[0]) from None


def placeholders(text: str) -> frozenset[str]:
    """The names a `str.format` template fills: "Сума: {amount} грн" → {"amount"}; "{}" → {""}.
    Raises ValueError for braces that do not pair ("{amount")."""
    return frozenset(field.split(".")[0].split("[")[0]
                     for _, field, _, _ in Formatter().parse(text) if field is not None)


def check_placeholders(where: str, key: str, text: str, allowed: Iterable[str]) -> None:
    """Refuse a text whose placeholders the code does not fill: ConfigError naming `where` (the file), the text's
    `key`, the unknown placeholder and the ones the text may use, so the file is fixed before a customer waits."""
    may = ", ".join(f"{{{name}}}" for name in sorted(allowed)) or "none"
    try:
        unknown = sorted(placeholders(text) - set(allowed))
    except ValueError as exc:
        raise ConfigError(f"{where}: text '{key}' has a broken placeholder ({exc}); it may use {may}; "
                          "write a literal brace twice: {{ }}") from None
    if unknown:
        raise ConfigError(f"{where}: text '{key}' uses the unknown placeholder {{{unknown[0]}}}; it may use {may}")


def shipped_placeholders(shipped: dict[Any, Any]) -> dict[str, frozenset[str]]:
    """Per text of the file shipped with the code, the placeholders it uses: those are the ones the code fills."""
    return {str(key): placeholders(str(text)) for key, text in shipped.items() if isinstance(text, str)}


def read_templates(path: Path | None, shipped: Traversable, names: type[Name]) -> dict[Name, str]:
    """The texts of the shop's file at `path` (the `shipped` one when None). Raises ConfigError for a missing text
    or one using a placeholder its shipped version does not (the code fills only those)."""
    source = path or shipped
    data = read_shop_file(source)
    if not isinstance(data, dict):
        raise ConfigError(f"{source} must be a mapping of text names to texts")
    missing = [name.value for name in names if not str(data.get(name.value) or "").strip()]
    if missing:
        raise ConfigError(f"{source} lacks the text '{missing[0]}'")
    allowed = shipped_placeholders(read_shop_file(shipped))
    for name in names:
        check_placeholders(str(source), name.value, str(data[name.value]), allowed.get(name.value, ()))
    return {name: str(data[name.value]).strip() for name in names}
