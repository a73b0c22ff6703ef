"""The mutation run's figures from its records (results.jsonl): kill rate per file and per
function, every survivor with file:line, the changed line and the reason an equivalent one
cannot be killed, the mutants that did not build or boot. Markdown (report.md) and a short
text summary."""
from __future__ import annotations

from collections import defaultdict

from runner.kmutate.engine import COUNTED, ERROR, KILLED, SURVIVED, UNBOOTABLE, UNBUILDABLE


def tally(records: list[dict], key) -> dict:
    t: dict = defaultdict(lambda: defaultdict(int))
    for r in records:
        k = key(r)
        t[k]["run"] += 1
        t[k][r["outcome"]] += 1
        if r["outcome"] in COUNTED and r.get("equivalent"):
            t[k]["equivalent"] += 1
        if r["outcome"] == KILLED and not r.get("equivalent"):
            t[k]["killed_ne"] += 1
        if r["outcome"] in COUNTED and not r.get("equivalent"):
            t[k]["counted_ne"] += 1
    return t


def rate(c: dict) -> str:
    n = c["counted_ne"]
    return f"{100.0 * c['killed_ne'] / n:.1f}%" if n else "-"


def table(t: dict, first: str) -> list[str]:
    out = [f"| {first} | run | killed | survived | equivalent | unbuildable | unbootable | error "
           "| kill rate (non-equivalent) |",
           "|---|---|---|---|---|---|---|---|---|"]
    for k in sorted(t, key=lambda k: (k if isinstance(k, str) else " ".join(k))):
        c = t[k]
        name = k if isinstance(k, str) else " ".join(k)
        out.append(f"| {name} | {c['run']} | {c[KILLED]} | {c[SURVIVED]} | {c['equivalent']} | "
                   f"{c[UNBUILDABLE]} | {c[UNBOOTABLE]} | {c[ERROR]} | {rate(c)} |")
    return out


def totals(records: list[dict]) -> dict:
    return tally(records, lambda r: "all")["all"] if records else defaultdict(int)


def summary_line(records: list[dict]) -> str:
    c = totals(records)
    return (f"{c['run']} mutants: {c[KILLED]} killed, {c[SURVIVED]} survived "
            f"({c['equivalent']} of the counted marked equivalent), {c[UNBUILDABLE]} unbuildable, "
            f"{c[UNBOOTABLE]} unbootable, {c[ERROR]} error; kill rate of the non-equivalent "
            f"{rate(c)} ({c['killed_ne']} of {c['counted_ne']})")


def changed(r: dict) -> tuple[str, str]:
    """The changed lines, one line each, with | escaped for a markdown table."""
    old = " ".join(l.strip() for l in r["old"] if l.strip())
    new = " ".join(l.strip() for l in r["new"] if l.strip() and l.strip() not in (";", "else ;"))
    return old.replace("|", "\\|"), (new or "(removed)").replace("|", "\\|")


def markdown(records: list[dict], header: list[str] = ()) -> str:
    out = list(header)
    out += ["", "## Totals", "", summary_line(records), ""]
    carried = [r for r in records if r.get("carried")]
    if carried:
        out += [f"{len(carried)} of these records are carried from "
                f"{', '.join(sorted({r['carried'] for r in carried}))} (`--recheck`: its kills and "
                f"the mutants it could not count; the cases that killed them are still in the "
                f"suite); the other {len(records) - len(carried)} ran in this run.", ""]
    out += ["## Per file", ""] + table(tally(records, lambda r: r["file"]), "file") + [""]
    out += ["## Per function", ""] + table(tally(records, lambda r: (r["file"], r["function"])),
                                           "file function") + [""]
    out += ["## Per operator", ""] + table(tally(records, lambda r: r["op"]), "operator") + [""]
    surv = [r for r in records if r["outcome"] == SURVIVED]
    out += ["## Survivors", "", "| mutant | where | function | changed | equivalent: why |",
            "|---|---|---|---|---|"]
    for r in sorted(surv, key=lambda r: (r["file"], r["line"])):
        old, new = changed(r)
        out.append(f"| `{r['id']}` | {r['file']}:{r['line']} | {r['function']} | `{old}` -> "
                   f"`{new}` | {r.get('equivalent') or '**not equivalent: a hole**'} |")
    other = [r for r in records if r["outcome"] not in COUNTED]
    out += ["", "## Not counted (did not build, boot or run)", "", "| mutant | where | outcome | why |",
            "|---|---|---|---|"]
    for r in sorted(other, key=lambda r: (r["file"], r["line"])):
        out.append(f"| `{r['id']}` | {r['file']}:{r['line']} | {r['outcome']} | "
                   f"{(r.get('why') or '').replace('|', '/')[:160]} |")
    killed = [r for r in records if r["outcome"] == KILLED]
    out += ["", "## Killed, and by what", "", "| mutant | where | changed | first differences |",
            "|---|---|---|---|"]
    for r in sorted(killed, key=lambda r: (r["file"], r["line"])):
        old, new = changed(r)
        out.append(f"| `{r['id']}` | {r['file']}:{r['line']} | `{old}` -> `{new}` | "
                   f"{(r.get('why') or '').replace('|', '/')[:200]}"
                   f"{' (carried)' if r.get('carried') else ''} |")
    return "\n".join(out) + "\n"
