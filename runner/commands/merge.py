"""`run_tests.sh merge [--results DIR] SHARD_DIR...`: merge the result folders of a run's
shards (run --shard I/N) into one result: summary.json, junit.xml, report.md/html (and
--kcidb FILE), each case judged once on the merged tree (runner/shard/merge.py). Exits like
a run, 0 ok or 1 regression, but 3 whenever a shard or a case is missing (named on stderr);
2 for shards that do not belong together (plans, suite versions, expected/ data), refused in
one line (docs/ci.md)."""
from __future__ import annotations

import sys
from pathlib import Path

from runner.core.status import Exit, Kind
from runner.judge import expected
from runner.report import junit, kcidb, markdown, summary as summ
from runner.run import options, preflight
from runner.shard import merge as shard_merge, suite

HELP = "merge shard result folders into one result and verdict (docs/ci.md)"


def add_arguments(p) -> None:
    p.add_argument("shards", nargs="+", metavar="SHARD_DIR", help="the shards' result "
                   "folders (each with its summary.json and console logs)")
    options.add_results(p)
    options.add_expected(p)
    options.add_kcidb(p)


def main(a) -> int:
    exp = expected.load_expectations(a.expected)
    inputs = shard_merge.load([Path(s) for s in a.shards], suite.expected_hash(Path(a.expected)))
    if a.kcidb:
        preflight.writable_file(Path(a.kcidb), "--kcidb")
    with preflight.results_dir(a.results) as results:
        out = results.path
        m = shard_merge.merge(inputs, out, exp)
        summ.write(out / "summary.json", m.summary)
        junit.write(out / "junit.xml", m.summary, m.labels)
        markdown.write_report(m.summary, out, expectations=exp, results_dir=out)
        if a.kcidb:
            kcidb.write(Path(a.kcidb), kcidb.render(m.summary, a.kcidb_origin, out))
    plan = inputs.plan
    print(f"merged {len(inputs.shards)} of {plan.count} shards (plan {plan.hash[:12]}): "
          f"{len(m.summary.kernels)} kernels, "
          f"{sum(len(k.cases) for k in m.summary.kernels)} results")
    for k in m.summary.kernels:
        for name, v in k.verdicts.items():
            if v.kind != Kind.OK:
                print(f"{v.kind.value.upper():10} {k.id}::{name}: {v.message.splitlines()[0][:300]}")
    for line in m.problems:
        print(f"run_tests.sh merge: {line}", file=sys.stderr)
    print(f"results: {out}")
    print(f"outcome: {Exit(m.exit_status).outcome} (exit status {m.exit_status})")
    return m.exit_status
