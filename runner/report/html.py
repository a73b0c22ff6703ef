"""The report's self-contained HTML page, rendered from the model in runner/report.py
(a mixin: Report supplies cells, kernels, verdicts, differences and errata)."""
from __future__ import annotations

import html

from runner.core.status import Status
from runner.judge.verdict import Verdict

STATUS_LABEL = {**{s.value: s.label for s in Status}, None: "-"}


def shard_note(run: dict) -> str:
    """What part of a sharded run this is: one shard, or the merge of some (docs/ci.md)."""
    sh = run.get("shard")
    if not isinstance(sh, dict):
        return ""
    plan, n = str(sh.get("plan", "?"))[:12], sh.get("count", "?")
    if sh.get("index") is not None:
        return (f"Shard {sh['index']}/{n} of plan {plan}: a part of the run; merge the "
                f"{n} shards' folders for the whole (run_tests.sh merge).")
    got = [str(m.get("index")) for m in sh.get("merged", []) if isinstance(m, dict)]
    return f"Merged from shards {', '.join(got) or '?'} of {n} (plan {plan})."


class HtmlPage:
    def html(self) -> str:
        run = self.summary.get("run", {})
        h = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
             '<title>io_uring buffer conformance report</title>', f"<style>{CSS}</style>",
             '</head><body>', '<h1>io_uring buffer conformance report</h1>',
             f'<p class="run">Run started {_e(run.get("started", "?"))} on host kernel '
             f'{_e(run.get("host_kernel", "?"))}, QEMU {_e(run.get("qemu", "?"))}.</p>']
        if shard_note(run):
            h.append(f'<p class="run">{_e(shard_note(run))}</p>')
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
        items = "".join(f'<li class="v-{c.verdict.kind.value.replace(" ", "-")}"><b>{c.verdict.kind.upper()}</b> '
                        f'{_e(c.case)} on {_e(c.kernel)}: {_e(c.verdict.message)}</li>'
                        for c in att)
        return f'<h2 id="attention">Needs attention ({len(att)})</h2><ul class="attention">{items}</ul>'

    def _cell_html(self, status: str | None, title: str, verdict: Verdict | None,
                   sub: bool = False) -> str:
        classes = [f"s-{status or 'absent'}"]
        badge = ""
        if verdict is not None:
            classes.append(f"v-{verdict.kind.value.replace(' ', '-')}")
            badge = {"regression": "✗", "xpass": "⚑", "partly fixed": "⚑",
                     "unknown": "?"}.get(verdict.kind, "")
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
td.v-xpass,td.v-partly-fixed{outline:3px solid #6a1b9a;outline-offset:-3px;font-weight:bold}
td.v-unknown{outline:2px dashed #777;outline-offset:-3px}
.badge{font-size:.8em;padding:0 3px;border-radius:3px;background:rgba(255,255,255,.7);color:#000}
ul.attention li.v-regression{color:#b71c1c} ul.attention li.v-xpass,ul.attention li.v-partly-fixed{color:#6a1b9a} ul.attention li.v-unknown{color:#555}
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
