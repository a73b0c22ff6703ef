"""Recorded results and fake shard folders made from them, for the shard, merge and KCIDB
tests: nothing here boots anything.

data/matrix-summary.json.gz is the summary.json of a real, unsharded `--matrix -j 2` run
(11 kernels x 114 cases, TCG, 2026-12-03), stored compact and gzipped. make_shards() cuts a
result tree into the folders N `--shard I/N` runs of the same selection would have left."""
from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path

from runner.core.paths import EXPECTED
from runner.report import summary as summ
from runner.shard import durations, plan as shard_plan, suite

DATA = Path(__file__).resolve().parent / "data"
MATRIX = DATA / "matrix-summary.json.gz"


def recorded_matrix() -> summ.Summary:
    return summ.from_dict(json.loads(gzip.decompress(MATRIX.read_bytes())), str(MATRIX))


def selection(tree: summ.Summary) -> tuple[list[str], list[str]]:
    """(kernels, cases) of a recorded run, in its order."""
    kernels = [k.id for k in tree.kernels]
    cases = list(tree.run.get("cases") or dict.fromkeys(c for k in tree.kernels for c in k.cases))
    return kernels, cases


def plan_of(tree: summ.Summary, count: int) -> shard_plan.Plan:
    """The plan of N shards of the recorded run's selection, balanced by its own times."""
    kernels, cases = selection(tree)
    return shard_plan.plan(kernels, cases, count, durations.measure([tree]))


def make_shards(root: Path, tree: summ.Summary, count: int,
                suite_id: dict | None = None) -> tuple[shard_plan.Plan, list[Path]]:
    """Folders root/shard-I (summary.json and a console log per kernel) as the N shards of
    the recorded run would have left them."""
    p = plan_of(tree, count)
    ident = suite_id or suite.identity(EXPECTED)
    folders = []
    for i in range(1, count + 1):
        sel = p.selection(i)
        kernels = []
        folder = root / f"shard-{i}"
        for k in tree.kernels:
            if k.id not in sel:
                continue
            kr = summ.KernelResult(k.id, copy.deepcopy(k.data),
                                   {n: k.cases[n] for n in sel[k.id]},
                                   {n: k.verdicts[n] for n in sel[k.id] if n in k.verdicts})
            log = f"{k.id}/console.log"
            (folder / k.id).mkdir(parents=True, exist_ok=True)
            (folder / log).write_text(f"console of {k.id} in shard {i}\nsecond line\n")
            kr.data.update(console_log=log, ktap=f"{k.id}/ktap.txt",
                           events=[{"kind": "warning", "line": 2, "excerpt": "x", "case": None,
                                    "after_result": False}])
            kernels.append(kr)
        run = {**copy.deepcopy(tree.run), "cases": [c for c in p.cases
                                                    if any(c in v for v in sel.values())],
               "shard": p.record(i), "suite": dict(ident)}
        folder.mkdir(parents=True, exist_ok=True)
        summ.write(folder / "summary.json", summ.Summary(run, kernels))
        folders.append(folder)
    return p, folders


def rewrite(folder: Path, edit) -> None:
    """Load a shard's summary.json as JSON, edit(data) it, write it back."""
    path = folder / "summary.json"
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))
