"""`run_tests.sh judge FILE...`: judge saved console/KTAP logs or summary.json files against
expected/; exit 1 on a regression, 3 when something did not run or a log is cut."""
from __future__ import annotations

from pathlib import Path

from runner.core import arch as arches
from runner.core.status import Exit, Kind
from runner.judge import expected
from runner.judge.verdict import judge
from runner.report import summary as summ
from runner.commands import results_in
from runner.run import options

HELP = "judge saved console logs or summary.json files against expected/"


def add_arguments(p) -> None:
    p.add_argument("files", nargs="+", metavar="FILE")
    options.add_expected(p)
    p.add_argument("--all", action="store_true", help="print ok verdicts too")
    p.add_argument("--comments", action="store_true", help="print as KTAP comments")
    p.add_argument("--label", help="name a log by this instead of its path")
    p.add_argument("--summary", metavar="FILE", help="also write the judged results as a "
                   "summary.json (to compare with a recorded run's)")


def guest_arch(k) -> str:
    """The architecture a saved kernel ran on: its summary's arch, else its release's
    flavour (-arm64), else its id (7.3@arm64)."""
    if k.get("arch"):
        return k.get("arch")
    release = k.get("release") or ""
    if release.endswith(("-arm64", "aarch64")):
        return "arm64"
    return arches.of(k.id)


def main(a) -> int:
    exp = expected.load_expectations(a.expected)
    inputs = [i for f in a.files for i in results_in.read(Path(f), a.label)]
    pre = "# " if a.comments else ""
    verdicts, incomplete, kernels = [], 0, []
    for i in inputs:
        k, counts = i.kernel, {}
        never_ran = not k.get("ran", True) or not k.cases
        for name, c in k.cases.items():
            v = judge(k.get("release") or "", k.get("proc_version"), c, exp, never_ran=never_ran,
                      arch=guest_arch(k))
            k.verdicts[name] = v
            verdicts.append(v)
            counts[v.kind.value] = counts.get(v.kind.value, 0) + 1
            if a.all or v.kind != Kind.OK or v.known_bug:
                print(f"{pre}{i.label}: {v}")
        kernels.append(k)
        if not i.complete:
            incomplete += 1
            print(f"{pre}{i.label}: INCOMPLETE: {i.note}")
        worst = summ.run_exit_status(verdicts, incomplete)
        print(f"{pre}{i.label}: {results_in.kernel_name(i)}: against expected/: "
              + (", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no case results")
              + f"; {Exit(worst).outcome.upper() if worst else 'no regression'}")
    rc = summ.run_exit_status(verdicts, incomplete)
    if a.summary:
        run = {"started": "", "mode": "expected", "interrupted": False, "exit_status": int(rc),
               "outcome": Exit(rc).outcome}
        summ.write(Path(a.summary), summ.Summary(run, kernels))
    return rc
