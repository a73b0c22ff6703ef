"""The features a case may need, read from the one table in harness/ubc_features.h.

Each line there is UBC_FEATURE(id, "name", "since", probe): the name is what a SKIP reason
prints ("<name> absent: <proof>"), since the release that added it.
"""
from __future__ import annotations

import re
from pathlib import Path

from runner.core.paths import TOP

TABLE = TOP / "harness" / "ubc_features.h"
_LINE = re.compile(r'^UBC_FEATURE\(\s*(\w+)\s*,\s*"([^"]+)"\s*,\s*"(\d+\.\d+)"\s*,\s*(\w+)\s*\)\s*$')


def load(path: Path = TABLE) -> dict[str, str]:
    """name -> since, in table order. A malformed UBC_FEATURE line is an error, not skipped."""
    out: dict[str, str] = {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.startswith("UBC_FEATURE("):
            continue
        m = _LINE.match(line)
        if m is None:
            raise ValueError(f"{path}:{n}: not UBC_FEATURE(id, \"name\", \"X.Y\", probe): {line}")
        out[m.group(2)] = m.group(3)
    return out
