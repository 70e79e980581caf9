"""The house's import rules (README, "Layout"; pyproject's [tool.importlinter]): data flows one way."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_no_package_imports_one_above_or_beside_it() -> None:
    """import-linter (https://import-linter.readthedocs.io) checks the layers contract over the source tree."""
    run = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports; "
                               "raise SystemExit(lint_imports(no_cache=True, no_logo=True))"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_every_package_of_the_product_is_under_the_rules() -> None:
    """A new top-level package must take its place in the layers, or it could import anything."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench"}
    layered = {name.strip() for layer in config["contracts"][0]["layers"] for name in layer.split("|")}
    assert packages == set(config["root_packages"]) == layered
