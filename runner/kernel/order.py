"""The order cases start in when several run at once (run-cases.sh -o): longest first, by
the typical seconds per case of bench/durations.json, so the last case to end is a short
one and no vCPU idles while one long case finishes. Only the start order: verdicts and
blame do not depend on it, so a missing or unreadable table gives no order, not an error
(the shard plan, which does depend on it, reads it strictly: runner/shard/durations.py)."""
from __future__ import annotations

import json
from pathlib import Path

from runner.core.paths import TOP

TABLE = TOP / "bench" / "durations.json"


def longest_first(cases: list[str], table: Path = TABLE) -> list[str]:
    """The cases of `cases` the table times, longest first (ties by name); the others are
    left out (run-cases.sh starts them after, in their own order)."""
    try:
        secs = json.loads(Path(table).read_text()).get("cases", {})
        timed = {c: float(secs[c]) for c in cases if c in secs}
    except (OSError, ValueError, TypeError, AttributeError):
        return []
    return sorted(timed, key=lambda c: (-timed[c], c))


def order_text(cases: list[str], table: Path = TABLE) -> str:
    """The -o file: one name a line."""
    return "".join(c + "\n" for c in longest_first(cases, table))
