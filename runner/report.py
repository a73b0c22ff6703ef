"""The conformance report: a markdown summary and one self-contained HTML page.

    python3 -m runner.report SUMMARY.json [--expected DIR] [--cases DIR] [-o OUTDIR]

Reads the runner's summary.json (with the verdict the run made on every case) and expected/
(errata, checks of the data), and writes OUTDIR/report.md and OUTDIR/report.html (default: next to the
summary): the behaviour x kernel matrix, the verdicts that need attention, the differences
between kernels, the documentation errata, kernel events and links to the raw console logs.
"""
from __future__ import annotations

import argparse
import html
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from runner.expected import (Expectations, errata_problems, errata_range_warnings,
                             load_expectations)
from runner.status import Status
from runner.verdict import Verdict
from runner.versions import parse_version

TOP = Path(__file__).resolve().parents[1]
STATUS_LABEL = {**{s.value: s.label for s in Status}, None: "-"}


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


class Report:
    def __init__(self, summary: dict, expectations: Expectations | None,
                 behaviour: dict[str, str] | None = None, base: Path | None = None,
                 summary_dir: Path | None = None):
        self.summary = summary
        self.exp = expectations
        self.behaviour = behaviour or {}
        self.base = base  # where the report is written, for relative log links
        self.summary_dir = summary_dir or base  # console_log paths are relative to it
        self.kernels = summary.get("kernels", [])
        names: list[str] = []
        for k in self.kernels:
            names += [n for n in k.get("cases", {}) if n not in names]
        self.cases = sorted(names)
        self.show_behaviour = any(n in self.behaviour for n in self.cases)
        self.cells: dict[tuple[str, str], Cell] = {}
        for k in self.kernels:
            for name in self.cases:
                c = k.get("cases", {}).get(name)
                # The verdict the run made (runner/verdict.py), never a second judgement.
                v = Verdict.from_dict(c["verdict"]) if c is not None and c.get("verdict") else None
                self.cells[(name, k["id"])] = Cell(
                    name, k["id"], c and c.get("status"), (c or {}).get("reason", ""),
                    (c or {}).get("subtests", []), v)

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
        order = {"regression": 0, "xpass": 1, "unknown": 2}
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
    def html(self) -> str:
        run = self.summary.get("run", {})
        h = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
             '<title>io_uring buffer conformance report</title>', f"<style>{CSS}</style>",
             '</head><body>', '<h1>io_uring buffer conformance report</h1>',
             f'<p class="run">Run started {_e(run.get("started", "?"))} on host kernel '
             f'{_e(run.get("host_kernel", "?"))}, QEMU {_e(run.get("qemu", "?"))}.</p>']
        if run.get("versions"):
            h.append('<ul class="versions">' + "".join(f"<li>{_e(v)}</li>"
                                                       for v in run["versions"]) + "</ul>")
        h.append('<nav><a href="#kernels">Kernels</a> <a href="#attention">Needs attention</a> '
                 '<a href="#matrix">Matrix</a> <a href="#differences">Differences</a> '
                 '<a href="#errata">Errata</a> <a href="#events">Kernel events</a></nav>')
        h += self._html_kernels(), self._html_attention(), self._html_matrix()
        h += self._html_differences(), self._html_errata(), self._html_events()
        checks = self.data_checks()
        if checks:
            h.append('<h2 id="checks">Checks of expected/</h2><ul class="checks">'
                     + "".join(f"<li>{_e(c)}</li>" for c in checks) + "</ul>")
        h.append("</body></html>")
        return "\n".join(h) + "\n"

    def _html_kernels(self) -> str:
        rows = []
        for k in self.kernels:
            c = self.counts(k["id"])
            link = self.log_link(k)
            # Colour only the counts that are not zero.
            nums = "".join(f'<td class="num{f" s-{s}" if c.get(s) else ""}">{c.get(s, 0)}</td>'
                           for s in ("pass", "fail", "skip", "crash", "timeout", "notrun"))
            verd = "".join(f'<td class="num{f" v-{v}" if c.get("v_" + v) else ""}">'
                           f'{c.get("v_" + v, 0)}</td>' for v in ("regression", "xpass", "unknown"))
            rows.append(
                f'<tr><th scope="row">{_e(k["id"])}</th>'
                f'<td>{_e(k.get("package", ""))} {_e(k.get("package_version", ""))}</td>'
                f'<td>{_e(k.get("release", ""))}</td><td>{_e(self.kernel_version(k))}</td>'
                f'<td>{_e(k.get("accel", ""))}</td><td class="num">{_e(k.get("boot_seconds", ""))}</td>'
                f'<td>{_e(k.get("end_reason", ""))}</td>{nums}{verd}'
                f'<td>{f"<a href={_q(link)}>console log</a>" if link else ""}</td></tr>')
        head = ("<tr><th>kernel</th><th>package</th><th>release</th><th>version</th><th>accel</th>"
                "<th>boot s</th><th>end</th><th>pass</th><th>fail</th><th>skip</th><th>crash</th>"
                "<th>timeout</th><th>not run</th><th>regressions</th><th>xpass</th>"
                "<th>unknown</th><th>raw log</th></tr>")
        return (f'<h2 id="kernels">Kernels</h2><table class="kernels"><thead>{head}</thead>'
                f'<tbody>{"".join(rows)}</tbody></table>')

    def _html_attention(self) -> str:
        att = self.attention()
        if not att:
            return '<h2 id="attention">Needs attention</h2><p class="allgood">Every result matches expected/.</p>'
        items = "".join(f'<li class="v-{c.verdict.kind}"><b>{c.verdict.kind.upper()}</b> '
                        f'{_e(c.case)} on {_e(c.kernel)}: {_e(c.verdict.message)}</li>'
                        for c in att)
        return f'<h2 id="attention">Needs attention ({len(att)})</h2><ul class="attention">{items}</ul>'

    def _cell_html(self, status: str | None, title: str, verdict: Verdict | None,
                   sub: bool = False) -> str:
        classes = [f"s-{status or 'absent'}"]
        badge = ""
        if verdict is not None:
            classes.append(f"v-{verdict.kind}")
            badge = {"regression": "✗", "xpass": "⚑", "unknown": "?"}.get(verdict.kind, "")
            if verdict.known_bug:
                badge = "bug"
            title = f"{title}\n{verdict}" if title else str(verdict)
        label = STATUS_LABEL.get(status, status or "-")
        b = f' <span class="badge">{badge}</span>' if badge else ""
        return (f'<td class="{" ".join(classes)}" title="{_e(title)}">{label}{b}</td>'
                if not sub else f'<td class="{" ".join(classes)}" title="{_e(title)}">{label}</td>')

    def _html_matrix(self) -> str:
        bcol = "<th>behaviour</th>" if self.show_behaviour else ""
        head = f"<tr><th>case</th>{bcol}" + "".join(
            f"<th>{_e(k['id'])}<br><small>{_e(self.kernel_version(k))}</small></th>"
            for k in self.kernels) + "</tr>"
        rows, group = [], None
        for name in self.cases:
            g = name.split("_", 1)[0]
            if g != group:
                group = g
                span = 1 + self.show_behaviour + len(self.kernels)
                rows.append(f'<tr class="group"><th colspan="{span}">{_e(g)}</th></tr>')
            cells = "".join(self._cell_html(self.cells[(name, k["id"])].status,
                                            self.cells[(name, k["id"])].reason,
                                            self.cells[(name, k["id"])].verdict)
                            for k in self.kernels)
            beh = (f'<td class="behaviour">{_e(self.behaviour.get(name, ""))}</td>'
                   if self.show_behaviour else "")
            rows.append(f'<tr id="case-{_e(name)}"><th scope="row" class="case">{_e(name)}</th>'
                        f'{beh}{cells}</tr>')
            for sub in self.sub_rows(name):
                sc = "".join(self._cell_html(*self.sub_status(name, k["id"], sub), None, True)
                             for k in self.kernels)
                rows.append(f'<tr class="sub"><th scope="row" class="subname">{_e(sub)}</th>'
                            f'{"<td></td>" if self.show_behaviour else ""}{sc}</tr>')
        legend = ('<p class="legend"><span class="s-pass">PASS</span> <span class="s-skip">SKIP'
                  '</span> <span class="s-fail">FAIL</span> <span class="s-timeout">TIMEOUT</span>'
                  ' <span class="s-crash">CRASH</span> <span class="s-notrun">NOT RUN</span> '
                  '<span class="v-regression">✗ regression</span> <span class="v-xpass">⚑ XPASS: '
                  'update expected/</span> <span class="v-unknown">? no expectation / unknown '
                  'kernel</span> <span>bug: known bug reproduced</span>. Hover a cell for the '
                  'reason and verdict; indented rows are subtests that do not pass everywhere.</p>')
        return (f'<h2 id="matrix">Behaviour x kernel</h2>{legend}<table class="matrix">'
                f'<thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>')

    def _html_differences(self) -> str:
        groups = self.difference_groups()
        if not groups:
            return ('<h2 id="differences">Differences between kernels</h2>'
                    '<p>Every case behaves the same on every kernel.</p>')
        items = []
        for names, outcomes in groups:
            parts = "".join(
                f'<li><span class="s-{st}">{_e(", ".join(kids))}: '
                f'{STATUS_LABEL.get(st, st)}</span>{": " + _e(why) if why else ""}</li>'
                for kids, st, why in outcomes)
            links = ", ".join(self._case_ref(n) for n in names)
            items.append(f"<li>{links}<ul>{parts}</ul></li>")
        n = len(self.differences())
        return (f'<h2 id="differences">Differences between kernels ({n} cases, {len(groups)} '
                f'patterns)</h2><ul class="differences">{"".join(items)}</ul>')

    def _case_ref(self, case: str) -> str:
        """A link to the case's matrix row, plain text when it is not in this run."""
        if case in self.cases:
            return f'<a href="#case-{_e(case)}">{_e(case)}</a>'
        return _e(case)

    def _html_errata(self) -> str:
        errata = self.exp.errata if self.exp else []
        if not errata:
            return '<h2 id="errata">Documentation errata</h2><p>None recorded.</p>'
        rows = "".join(
            f'<tr><td>{_e(r.get("page", ""))}</td><td>{_e(r.get("section", ""))}</td>'
            f'<td>{_e(r.get("claim", ""))}</td><td>{_e(r.get("behaviour", ""))}</td>'
            f'<td>{_e(r.get("kernels", ""))}</td><td>'
            + ", ".join(self._case_ref(c) for c in r.get("cases", []))
            + f'</td><td class="source">{_e(r.get("source", ""))}</td></tr>' for r in errata)
        head = ("<tr><th>page</th><th>section</th><th>the page says</th><th>kernels do</th>"
                "<th>since / kernels</th><th>cases</th><th>evidence</th></tr>")
        return (f'<h2 id="errata">Documentation errata ({len(errata)})</h2><table class="errata">'
                f'<thead>{head}</thead><tbody>{rows}</tbody></table>')

    def _html_events(self) -> str:
        items = []
        for k in self.kernels:
            for e in k.get("events", []):
                items.append(f'<li><b>{_e(k["id"])}</b> {_e(e.get("kind"))} in '
                             f'{_e(e.get("case") or "(no case)")} (console line {_e(e.get("line"))})'
                             f'<pre>{_e(e.get("excerpt", ""))}</pre></li>')
        if not items:
            return '<h2 id="events">Kernel events</h2><p>No kernel warnings, oopses or panics seen.</p>'
        return f'<h2 id="events">Kernel events ({len(items)})</h2><ul class="events">{"".join(items)}</ul>'


CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em;color:#222;font-size:14px}
h1{font-size:1.5em;margin:0 0 .3em} h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}
nav a{margin-right:1em} table{border-collapse:collapse;margin:.5em 0}
th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}
thead th{background:#f0f0f0;position:sticky;top:0} td.num{text-align:right}
.matrix td{text-align:center;white-space:nowrap;min-width:4.2em}
.matrix td.behaviour{text-align:left;white-space:normal;min-width:14em;max-width:22em;color:#444;font-size:.85em}
.matrix th.case{font-family:monospace;white-space:nowrap}
tr.group th{background:#e8eaf6;font-size:1.05em} tr.sub th.subname{font-family:monospace;font-weight:normal;padding-left:2em;color:#555}
tr.sub td{font-size:.85em}
.s-pass{background:#c8e6c9}.s-skip{background:#e3e7ee;color:#445}.s-fail{background:#ffcdd2}
.s-timeout{background:#ffe0b2}.s-crash{background:#b71c1c;color:#fff}.s-notrun{background:#eeeeee;color:#777}
.s-absent{background:#fff;color:#aaa}
td.v-regression{outline:3px solid #d50000;outline-offset:-3px;font-weight:bold}
td.v-xpass{outline:3px solid #6a1b9a;outline-offset:-3px;font-weight:bold}
td.v-unknown{outline:2px dashed #777;outline-offset:-3px}
.badge{font-size:.8em;padding:0 3px;border-radius:3px;background:rgba(255,255,255,.7);color:#000}
ul.attention li.v-regression{color:#b71c1c} ul.attention li.v-xpass{color:#6a1b9a} ul.attention li.v-unknown{color:#555}
.legend span{padding:1px 5px;margin-right:2px}
.legend .v-regression{outline:2px solid #d50000}.legend .v-xpass{outline:2px solid #6a1b9a}.legend .v-unknown{outline:2px dashed #777}
pre{background:#f7f7f7;padding:.4em;overflow-x:auto;font-size:.85em;margin:.2em 0 .8em}
td.source{font-size:.85em;color:#555} .allgood{color:#1b5e20;font-weight:bold}
table.errata{width:100%;table-layout:fixed} table.errata td{overflow-wrap:anywhere}
table.errata th:nth-child(1){width:16%} table.errata th:nth-child(2){width:7%}
table.errata th:nth-child(5){width:7%} table.errata th:nth-child(6){width:12%}
"""


def _e(x) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _q(x: str) -> str:
    return '"' + html.escape(x, quote=True) + '"'


def _md(x) -> str:
    return str("" if x is None else x).replace("|", "\\|").replace("\n", " ")


def write_report(summary_path: str | Path, expected_dir: str | Path | None = None,
                 cases_dir: str | Path | None = None, out_dir: str | Path | None = None
                 ) -> tuple[Path, Path]:
    summary_path = Path(summary_path)
    summary = json.loads(summary_path.read_text())
    out = Path(out_dir) if out_dir else summary_path.parent
    out.mkdir(parents=True, exist_ok=True)
    exp = load_expectations(expected_dir or TOP / "expected")
    rep = Report(summary, exp, behaviours(Path(cases_dir or TOP / "cases")), out,
                 summary_path.parent)
    md, page = out / "report.md", out / "report.html"
    md.write_text(rep.markdown())
    page.write_text(rep.html())
    return md, page


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m runner.report", description=__doc__.split("\n")[0])
    ap.add_argument("summary", help="the runner's summary.json")
    ap.add_argument("--expected", help="expected/ directory (default: the project's)")
    ap.add_argument("--cases", help="cases/ directory, for the behaviour column")
    ap.add_argument("-o", "--out", help="output directory (default: the summary's)")
    args = ap.parse_args(argv)
    md, page = write_report(args.summary, args.expected, args.cases, args.out)
    print(md)
    print(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
