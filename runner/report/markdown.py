"""The conformance report: a markdown summary and one self-contained HTML page.

    run_tests.sh report SUMMARY.json [--expected DIR] [--cases DIR] [-o OUTDIR]

Renders a result tree (the run's, in memory; or a summary.json read by
runner/report/summary.py) (with the verdict the run made on every case) and expected/
(errata, checks of the data), and writes OUTDIR/report.md and OUTDIR/report.html (default: next to the
summary): the behaviour x kernel matrix, the verdicts that need attention, the differences
between kernels, the documentation errata, kernel events and links to the raw console logs.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from runner.core.paths import TOP
from runner.judge.expected import (Expectations, errata_problems, errata_range_warnings,
                             load_expectations)
from runner.core.errors import NotRun
from runner.judge.verdict import Verdict
from runner.report.summary import Summary
from runner.core.versions import parse_version
from runner.report.html import STATUS_LABEL, HtmlPage, shard_note



@dataclass
class Cell:
    case: str
    kernel: str
    status: str | None  # None: the case is not in that kernel's results
    reason: str
    subtests: list
    verdict: Verdict | None


def behaviours(cases_dir: Path) -> dict[str, str]:
    """case -> one-sentence behaviour, from the tables in cases/<group>/README.md."""
    out = {}
    for readme in sorted(cases_dir.glob("*/README.md")):
        for line in readme.read_text(errors="replace").splitlines():
            # Cells split at unescaped pipes; "\|" inside a cell is a literal pipe.
            row = line.strip().strip("|")
            cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", row)]
            if len(cells) >= 2 and line.lstrip().startswith("|"):
                name = cells[0].strip("`* ")
                header_or_rule = name == "case" or set(cells[1]) <= set("-: ")
                if re.fullmatch(r"[a-z0-9_]+", name) and not header_or_rule:
                    out[name] = cells[1]
    return out


class Report(HtmlPage):
    """The model of the report (cells, verdicts, differences) and its markdown; the HTML
    page is runner/report_html.py's."""

    def __init__(self, summary: Summary, expectations: Expectations | None,
                 behaviour: dict[str, str] | None = None, base: Path | None = None,
                 summary_dir: Path | None = None):
        self.summary = {"run": summary.run}
        self.exp = expectations
        self.behaviour = behaviour or {}
        self.base = base  # where the report is written, for relative log links
        self.summary_dir = summary_dir or base  # console_log paths are relative to it
        # The kernels' fields as the sections print them; cells from the typed tree.
        self.kernels = [{"id": k.id, **k.data} for k in summary.kernels]
        names: list[str] = []
        for k in summary.kernels:
            names += [n for n in k.cases if n not in names]
        self.cases = sorted(names)
        self.show_behaviour = any(n in self.behaviour for n in self.cases)
        self.cells: dict[tuple[str, str], Cell] = {}
        for k in summary.kernels:
            for name in self.cases:
                c = k.cases.get(name)
                # The verdict the run made (runner/judge/verdict.py), never a second judgement.
                self.cells[(name, k.id)] = Cell(
                    name, k.id, str(c.status) if c else None, c.reason if c else "",
                    [x.to_dict() for x in c.subtests] if c else [], k.verdicts.get(name))

    # -- what the sections show ----------------------------------------------------------
    def counts(self, kid: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for name in self.cases:
            cell = self.cells[(name, kid)]
            out[cell.status or "absent"] = out.get(cell.status or "absent", 0) + 1
            if cell.verdict:
                key = "v_" + cell.verdict.kind
                out[key] = out.get(key, 0) + 1
        return out

    def attention(self) -> list[Cell]:
        """Regressions, XPASSes and unknowns, the loud ones first."""
        order = {"regression": 0, "xpass": 1, "partly fixed": 1, "unknown": 2}
        cells = [c for c in self.cells.values() if c.verdict and c.verdict.kind in order]
        return sorted(cells, key=lambda c: (order[c.verdict.kind], c.case, c.kernel))

    def differences(self) -> list[str]:
        """Cases whose status is not the same on every kernel that ran them."""
        return [n for n in self.cases
                if len({self.cells[(n, k["id"])].status for k in self.kernels}
                       - {None}) > 1]

    def difference_groups(self) -> list[tuple[list[str], list[tuple[list[str], str, str]]]]:
        """Differing cases grouped by identical behaviour: [(cases, [(kernels, status, why)])].

        Fourteen clone cases that all skip on 6.1 for the same probe reason are one group.
        """
        groups: dict[tuple, list[str]] = {}
        for name in self.differences():
            key = []
            for k in self.kernels:
                cell = self.cells[(name, k["id"])]
                if cell.status is not None:
                    key.append((k["id"], cell.status, cell.reason if cell.status != "pass" else ""))
            groups.setdefault(tuple(key), []).append(name)
        out = []
        for key, names in groups.items():
            outcomes: dict[tuple[str, str], list[str]] = {}
            for kid, status, why in key:
                outcomes.setdefault((status, why), []).append(kid)
            out.append((names, [(kids, st, why) for (st, why), kids in outcomes.items()]))
        return out

    def sub_rows(self, name: str) -> list[str]:
        """Subtests worth a row: failing somewhere, or skipping inside a case that passed."""
        rows: list[str] = []
        for k in self.kernels:
            cell = self.cells[(name, k["id"])]
            for s in cell.subtests:
                if s["name"] not in rows and (s["status"] not in ("pass", "skip") or (
                        s["status"] == "skip" and cell.status == "pass")):
                    rows.append(s["name"])
        return rows

    def sub_status(self, name: str, kid: str, sub: str) -> tuple[str | None, str]:
        for s in self.cells[(name, kid)].subtests:
            if s["name"] == sub:
                return s["status"], s.get("reason", "")
        return None, ""

    def log_link(self, k: dict) -> str | None:
        log = k.get("console_log")
        if not log:
            return None
        if self.base is None or re.match(r"^[a-z]+://", log):
            return log
        path = Path(log) if os.path.isabs(log) else (self.summary_dir or Path(".")) / log
        return os.path.relpath(path.resolve(), self.base.resolve())

    def data_checks(self) -> list[str]:
        """What expected/ lacks or gets wrong for this run's cases."""
        if self.exp is None:
            return ["no expected/ data: nothing was judged"]
        out = [f"no expected/ entry covers {c}" for c in self.exp.uncovered(self.cases)]
        out += self.exp.unmatched(sorted(p.stem for p in (TOP / "cases").glob("*/*.c")))
        known = set(self.cases) | set(self.behaviour)
        out += errata_problems(self.exp, sorted(known)) if known else []
        out += errata_range_warnings(self.exp)
        return out

    def kernel_version(self, k: dict) -> str:
        v = parse_version(k.get("release"), k.get("proc_version"))
        return str(v) if v else "unknown"

    # -- markdown ------------------------------------------------------------------------
    def markdown(self) -> str:
        run = self.summary.get("run", {})
        md = ["# io_uring buffer conformance report", ""]
        md.append(f"Run started {run.get('started', '?')} on host kernel "
                  f"{run.get('host_kernel', '?')}, QEMU {run.get('qemu', '?')}.")
        if shard_note(run):
            md += ["", shard_note(run)]
        for v in run.get("versions", []):
            md.append(f"- {v}")
        md += ["", "## Kernels", "",
               "| kernel | package | release | version | accel | boot s | end | pass | fail | skip | "
               "crash | timeout | not run | regressions | xpass | unknown | log |",
               "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for k in self.kernels:
            c = self.counts(k["id"])
            link = self.log_link(k)
            md.append("| " + " | ".join(_md(x) for x in [
                k["id"], f"{k.get('package', '')} {k.get('package_version', '')}".strip(),
                k.get("release", ""), self.kernel_version(k), k.get("accel", ""),
                k.get("boot_seconds", ""), k.get("end_reason", ""),
                *(c.get(s, 0) for s in ("pass", "fail", "skip", "crash", "timeout", "notrun")),
                c.get("v_regression", 0), c.get("v_xpass", 0), c.get("v_unknown", 0),
                f"[console]({link})" if link else ""]) + " |")
        att = self.attention()
        md += ["", "## Needs attention", ""]
        if not att:
            md.append("Every result matches expected/.")
        for c in att:
            md.append(f"- **{c.verdict.kind.upper()}** {c.case} on {c.kernel}: "
                      f"{_md(c.verdict.message)}")
        md += ["", "## Behaviour x kernel", "",
               "| case | " + ("behaviour | " if self.show_behaviour else "")
               + " | ".join(k["id"] for k in self.kernels) + " |",
               "|---|" + ("---|" if self.show_behaviour else "") + "---|" * len(self.kernels)]
        for name in self.cases:
            row = [name] + ([_md(self.behaviour.get(name, ""))] if self.show_behaviour else [])
            for k in self.kernels:
                cell = self.cells[(name, k["id"])]
                mark = {"regression": " ✗", "xpass": " ⚑", "unknown": " ?"}.get(
                    cell.verdict.kind if cell.verdict else "", "")
                if cell.verdict is not None and cell.verdict.known_bug:
                    mark = " (known)"
                row.append(STATUS_LABEL.get(cell.status, cell.status) + mark)
            md.append("| " + " | ".join(row) + " |")
        md.append("")
        md.append("✗ regression, ⚑ XPASS (update expected/), ? no expectation or unknown kernel, "
                  "(known) a known bug or difference reproduced.")
        md += ["", "## Differences between kernels", ""]
        groups = self.difference_groups()
        if not groups:
            md.append("Every case behaves the same on every kernel.")
        for names, outcomes in groups:
            parts = [f"{', '.join(kids)}: {STATUS_LABEL.get(st, st)}" + (f" ({why})" if why else "")
                     for kids, st, why in outcomes]
            md.append(f"- **{', '.join(names)}**: " + "; ".join(_md(p) for p in parts))
        md += ["", "## Documentation errata", ""]
        errata = self.exp.errata if self.exp else []
        if not errata:
            md.append("None recorded.")
        else:
            md += ["| page | section | the page says | kernels do | kernels | cases |",
                   "|---|---|---|---|---|---|"]
            for r in errata:
                md.append("| " + " | ".join(_md(str(x)) for x in [
                    r.get("page", ""), r.get("section", ""), r.get("claim", ""),
                    r.get("behaviour", ""), r.get("kernels", ""),
                    ", ".join(r.get("cases", []))]) + " |")
        checks = self.data_checks()
        if checks:
            md += ["", "## Checks of expected/", ""] + [f"- {_md(c)}" for c in checks]
        events = [(k["id"], e) for k in self.kernels for e in k.get("events", [])]
        if events:
            md += ["", "## Kernel events", ""]
            for kid, e in events:
                md.append(f"- {kid}: {e.get('kind')} in {e.get('case') or '(no case)'} "
                          f"(console line {e.get('line')}): "
                          f"{_md(str(e.get('excerpt', '')).splitlines()[0] if e.get('excerpt') else '')}")
        return "\n".join(md) + "\n"

    # -- HTML ----------------------------------------------------------------------------


def _md(x) -> str:
    return str("" if x is None else x).replace("|", "\\|").replace("\n", " ")


def write_report(summary: Summary, out_dir: Path, expectations: Expectations | None = None,
                 results_dir: Path | None = None, cases_dir: Path | None = None,
                 expected_dir: Path | None = None) -> tuple[Path, Path]:
    """report.md and report.html of a result tree (the run's, in memory, or one loaded by
    runner/report/summary.py); expectations loaded once by the caller, or here."""
    out = Path(out_dir)
    exp = expectations or load_expectations(expected_dir or TOP / "expected")
    rep = Report(summary, exp, behaviours(Path(cases_dir or TOP / "cases")), out,
                 Path(results_dir) if results_dir else out)
    md, page = out / "report.md", out / "report.html"
    try:
        out.mkdir(parents=True, exist_ok=True)
        md.write_text(rep.markdown())
        page.write_text(rep.html())
    except OSError as e:
        raise NotRun(f"results could not be written: {out}: {e.strerror}") from None
    return md, page
