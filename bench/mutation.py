"""Mutation testing of the rule modules, on demand (not in CI): `python -m bench.mutation`.

mutmut (configured in pyproject.toml, [tool.mutmut]) changes the rule modules one small edit at a time — sizes,
prices, customer details, follow-up rules, the reply guard — and runs the tests that reach each edit; a mutant the
tests still pass with ("survived") is a promise no test holds. The tests get one embedded Postgres for the whole run
(TEST_DATABASE_URL) instead of one per mutant. Prints the score per module and the survivors' names; `mutmut show
<name>` shows a survivor's edit. Needs `pip install -e '.[test,mutation]'`; takes about 20 minutes on 2 cores.
`python -m bench.mutation 'jobs.followups.*'` re-runs only the mutants matching the names given.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from storage.database import embedded_server

KILLED = {"killed", "timeout", "segfault", "caught by type check"}


def score(results: str) -> dict[str, Counter[str]]:
    """Per module, how many mutants ended how, from `mutmut results --all true` ("name: status" lines)."""
    per_module: dict[str, Counter[str]] = {}
    for line in results.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if name:
            module = name.split(".x_", 1)[0].split(".xǁ", 1)[0]
            per_module.setdefault(module, Counter())[status.strip()] += 1
    return per_module


def main() -> int:
    root = Path(__file__).resolve().parent.parent
    mutmut = Path(sys.executable).with_name("mutmut")
    with tempfile.TemporaryDirectory(prefix="mirt-mutation-") as scratch:
        server = embedded_server(Path(scratch) / "pg", cleanup_mode="delete")
        try:
            env = os.environ | {"TEST_DATABASE_URL": server.get_uri()}  # type: ignore[attr-defined]
            if not sys.argv[1:]:
                shutil.rmtree(root / "mutants", ignore_errors=True)
            subprocess.run([str(mutmut), "run", "--max-children", str(os.cpu_count() or 2), *sys.argv[1:]],
                           cwd=root, env=env, check=False)
            results = subprocess.run([str(mutmut), "results", "--all", "true"], cwd=root, env=env,
                                     capture_output=True, text=True, check=False).stdout
        finally:
            try:
                server.cleanup()  # type: ignore[attr-defined]
            except Exception as exc:  # noqa: BLE001 - a slow stop must not hide the score
                print(f"(embedded Postgres did not stop cleanly: {exc})", file=sys.stderr)
    total_killed = total = 0
    for module, counts in sorted(score(results).items()):
        killed = sum(n for status, n in counts.items() if status in KILLED)
        total_killed, total = total_killed + killed, total + sum(counts.values())
        print(f"{module}: {killed}/{sum(counts.values())} killed; {json.dumps(dict(counts))}")
    print(f"total: {total_killed}/{total} killed ({100 * total_killed / max(total, 1):.0f} %)")
    print("survivors:", *(line.split(":")[0] for line in results.splitlines() if line.endswith("survived")), sep="\n  ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
