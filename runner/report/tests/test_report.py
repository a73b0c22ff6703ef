"""runner/report/markdown.py and html.py: markdown and self-contained HTML from a summary.json and expected/."""
import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from runner.testing.fakes import DATA
from runner.ktap.parser import parse_console
from runner.judge.expected import load_expectations
from runner import cli
from runner.report import markdown, summary as summ
from runner.report.markdown import behaviours
from runner.judge.verdict import judge

TOP = Path(__file__).resolve().parents[3]
VOID = {"meta", "br", "hr", "img", "link", "input", "col", "wbr"}


EXP = load_expectations(TOP / "expected")


def write_report(summary_path, exp_dir, cases_dir, out_dir):
    """A saved summary's report, read by the one reader, as `run_tests.sh report` does."""
    return markdown.write_report(summ.load(summary_path), out_dir, results_dir=summary_path.parent,
                                 cases_dir=cases_dir, expected_dir=exp_dir)


def main(argv):
    return cli.main(["report", *argv])


def kernel(kid, log, end_reason=None):
    """A summary.json kernel entry as a run writes it: every case with its verdict."""
    run = parse_console((DATA / log).read_text(), None, end_reason)
    d = {"id": kid, "package": "linux-image-test", "package_version": "1", "sha256": "x",
         "release": run.release, "proc_version": run.proc_version, "accel": "tcg",
         "boot_seconds": 3.2, "end_reason": end_reason or "poweroff", "boots": 1,
         "console_log": f"logs/{kid}.log",
         "cases": {n: dict(c.to_dict(), verdict=judge(run.release, run.proc_version, c, EXP).to_dict())
                   for n, c in run.cases.items()},
         "events": [e.to_dict() for e in run.events]}
    return d


def make_summary(tmp_path, with_errata=True):
    kernels = [kernel("6.1", "skips61.log"), kernel("6.18", "host_run_mixed.log"),
               kernel("6.18-warn", "warn_during_case.log")]
    s = {"run": {"started": "2026-11-22T02:00:00Z", "qemu": "10.0.2", "host_kernel": "6.18.44",
                 "versions": ["liburing 2.15 <static>"]}, "kernels": kernels}
    res = tmp_path / "results"
    (res / "logs").mkdir(parents=True)
    for k in kernels:
        (res / k["console_log"]).write_text("log\n")
    (res / "summary.json").write_text(json.dumps(s))
    exp = tmp_path / "expected"
    shutil.copytree(TOP / "expected", exp)
    shutil.rmtree(exp / "errata", ignore_errors=True)  # the project's errata come and go
    if with_errata:
        (exp / "errata").mkdir(exist_ok=True)
        (exp / "errata" / "zz_test.toml").write_text(
            '[[erratum]]\npage = "io_uring_prep_provide_buffers(3)"\nsection = "RETURN VALUE"\n'
            'claim = "res is the number of buffers <added>"\nbehaviour = "res is 0"\n'
            'kernels = ">=5.7"\ncases = ["provide_res_zero"]\nsource = "io_uring/kbuf.c"\n')
    return res / "summary.json", exp


class Structure(HTMLParser):
    """Checks nesting and collects what the tests look at."""

    def __init__(self):
        super().__init__()
        self.stack, self.errors, self.ids, self.hrefs = [], [], set(), []
        self.external, self.cells, self.text = [], [], []
        self.doctype = False

    def handle_decl(self, decl):
        self.doctype = decl.lower() == "doctype html"

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            if a["id"] in self.ids:
                self.errors.append(f"duplicate id {a['id']}")
            self.ids.add(a["id"])
        if tag == "a":
            self.hrefs.append(a.get("href", ""))
        for key in ("src", "href"):
            if a.get(key, "").startswith(("http:", "https:", "//")):
                self.external.append(a[key])
        if tag in ("script", "link", "img", "iframe"):
            self.external.append(tag)
        if tag == "td":
            self.cells.append(a.get("class", ""))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            if tag in self.stack:
                while self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture
def report(tmp_path):
    summary, exp = make_summary(tmp_path)
    md, page = write_report(summary, exp, TOP / "cases", tmp_path / "out")
    p = Structure()
    p.feed(page.read_text())
    p.close()
    return md.read_text(), page.read_text(), p


def test_html_is_well_formed_and_self_contained(report):
    _, page, p = report
    assert p.doctype and p.errors == [] and p.stack == []
    assert p.external == []  # no network: inline CSS, no scripts, no remote links
    for href in p.hrefs:
        if href.startswith("#"):
            assert href[1:] in p.ids, href


def test_html_matrix_colours_and_verdicts(report):
    _, page, p = report
    text = "".join(p.text)
    assert {"kernels", "attention", "matrix", "differences", "errata", "events"} <= p.ids
    assert "case-provide_nr_bounds" in p.ids
    assert any("s-skip" in c and "v-ok" not in c for c in p.cells)
    # The 6.18 failure of provide_nr_bounds is a regression, outlined.
    assert "s-fail v-regression" in p.cells
    # The WARN run makes clone_read_through_dst fail on 6.18-warn.
    assert "kernel warning" in page
    # A subtest row for the failing subtest.
    assert "nr_bounds.nr_65536_ok.all_buffers_arrive" in text
    # The erratum, escaped.
    assert "res is the number of buffers &lt;added&gt;" in page
    # Raw logs linked relative to the report.
    assert "../results/logs/6.1.log" in p.hrefs


def test_markdown_sections(report):
    md, _, _ = report
    for head in ("## Kernels", "## Needs attention", "## Behaviour x kernel",
                 "## Differences between kernels", "## Documentation errata", "## Kernel events"):
        assert head in md
    assert "**REGRESSION** provide_nr_bounds on 6.18" in md
    assert "clone_read_through_dst**: 6.1: SKIP (IORING_REGISTER_CLONE_BUFFERS absent" in md
    assert "| clone_read_through_dst |" in md


def test_cli_writes_next_to_summary(tmp_path, capsys):
    summary, exp = make_summary(tmp_path, with_errata=False)
    assert main([str(summary), "--expected", str(exp)]) == 0
    assert (summary.parent / "report.html").exists() and (summary.parent / "report.md").exists()
    assert "None recorded." in (summary.parent / "report.md").read_text()


def test_behaviour_column_from_case_tables(tmp_path):
    (tmp_path / "g").mkdir()
    (tmp_path / "g" / "README.md").write_text(
        "| case | behaviour | source | since |\n|---|---|---|---|\n"
        "| `g_one` | does one thing | x(3) | 6.1 |\n"
        "| g_two | flags are A \\| B | x(3) | 6.1 |\n")
    assert behaviours(tmp_path) == {"g_one": "does one thing", "g_two": "flags are A | B"}


def test_checks_of_expected_listed(tmp_path):
    summary, exp = make_summary(tmp_path)
    (exp / "errata" / "zz_prose.toml").write_text(
        '[[erratum]]\npage = "p(3)"\nsection = "S"\nclaim = "c"\nbehaviour = "b"\n'
        'kernels = "since forever"\ncases = ["no_such_case"]\nsource = "s"\n')
    s = json.loads(summary.read_text())
    s["kernels"][0]["cases"]["mystery_case"] = {"status": "pass", "reason": "", "subtests": []}
    summary.write_text(json.dumps(s))
    md, page = write_report(summary, exp, TOP / "cases", tmp_path / "out")
    text = md.read_text()
    assert "## Checks of expected/" in text
    assert "no expected/ entry covers mystery_case" in text
    assert "no case named no_such_case" in text and "'since forever' is not a version range" in text
    assert 'id="checks"' in page.read_text()


def test_differences_grouped_by_behaviour():
    from runner.report.markdown import Report

    def k(kid, **cases):
        return {"id": kid, "release": "6.12.1", "cases": {
            n: {"status": st, "reason": "F absent: x" if st == "skip" else "", "subtests": []}
            for n, st in cases.items()}}
    rep = Report(summ.from_dict({"kernels": [k("old", a="skip", b="skip", c="fail", d="pass"),
                                             k("new", a="pass", b="pass", c="pass", d="pass"),
                                             k("short", a="pass", b="pass")]}, "t"), None)
    groups = rep.difference_groups()
    assert groups == [(["a", "b"], [(["old"], "skip", "F absent: x"), (["new", "short"], "pass", "")]),
                      (["c"], [(["old"], "fail", ""), (["new"], "pass", "")])]
    assert "d" not in rep.differences()  # absent on 'short' is no difference
    assert "| case | old | new | short |" in rep.markdown()  # no behaviour column without tables


def test_a_summary_read_and_written_again_keeps_every_field():
    """The one reader and the one writer round-trip a recorded run, verdict entries too."""
    import gzip
    data = json.loads(gzip.decompress((DATA / "matrix-summary.json.gz").read_bytes()))
    tree = summ.from_dict(json.loads(json.dumps(data)), "recorded")
    assert tree.to_dict()["kernels"] == data["kernels"]
    assert any(c["verdict"]["entry"] for k in data["kernels"] for c in k["cases"].values())
