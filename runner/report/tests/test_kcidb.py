"""runner/report/kcidb.py: the KCIDB v5.3 document of a result tree, validated against the
real schema (kcidb-io's, from ../shared/schemas/) with Debian's python3-jsonschema as
kcidb-io validates (Draft7Validator and its format checker); every outcome's status; a
golden file; a recorded real matrix run with nothing lost. Nothing is ever sent."""
import copy
import datetime as dt
import json
import re

import pytest

from runner import cli
from runner.core.paths import TOP, case_groups
from runner.core.status import Kind, Status
from runner.judge.verdict import Verdict
from runner.ktap import CaseResult, SubResult
from runner.report import kcidb, summary as summ
from runner.testing.shards import DATA, recorded_matrix

SCHEMA = TOP.parent / "shared" / "schemas" / "kcidb-v5.3.schema.json"
FIXTURE = DATA / "kcidb"
jsonschema = pytest.importorskip("jsonschema", reason="apt-get install python3-jsonschema")


def validate(doc: dict) -> None:
    """As kcidb-io does; and date-time, which jsonschema checks only with rfc3339-validator."""
    if not SCHEMA.exists():
        pytest.skip(f"{SCHEMA}: the KCIDB schema is not here")
    schema = json.loads(SCHEMA.read_text())
    v = jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    errors = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])
    for kind in ("checkouts", "builds", "tests"):
        for o in doc.get(kind, []):
            if "start_time" in o:
                assert dt.datetime.fromisoformat(o["start_time"]).tzinfo is not None


@pytest.mark.parametrize("status,kind,known,want", [
    ("fail", Kind.OK, True, "FAIL"),          # a known kernel bug reproduced
    ("fail", Kind.REGRESSION, False, "FAIL"),
    ("crash", Kind.REGRESSION, False, "FAIL"),
    ("crash", Kind.OK, True, "FAIL"),
    ("timeout", Kind.REGRESSION, False, "FAIL"),
    ("timeout", Kind.OK, True, "FAIL"),
    ("notrun", Kind.NOT_RUN, False, "MISS"),  # no boot, QEMU killed: the harness's
    ("notrun", Kind.REGRESSION, False, "MISS"),  # a case the kernel kept from starting
    ("interrupted", Kind.NOT_RUN, False, "MISS"),
    ("skip", Kind.OK, False, "SKIP"),         # the probe proved the feature absent
    ("skip", Kind.UNKNOWN, False, "SKIP"),
    ("skip", Kind.REGRESSION, False, "ERROR"),  # skipped where the version says it must run
    ("pass", Kind.OK, False, "PASS"),
    ("pass", Kind.XPASS, False, "PASS"),
    ("pass", Kind.UNKNOWN, False, "PASS"),
    ("pass", Kind.REGRESSION, False, "ERROR"),  # passed, but a subtest skipped that must not
])
def test_status_of_every_outcome(status, kind, known, want):
    v = Verdict(kind, "m", known_bug=known)
    assert kcidb.case_status(CaseResult("c", status), v) == want
    # The documented table says the same.
    row = next(r for r in kcidb.STATUS_TABLE if status in r[0].split(", ")
               and (kind.value in r[1] or r[1].startswith("any")))
    assert row[2] == want


def test_every_status_is_mapped():
    for st in Status:
        assert kcidb.case_status(CaseResult("c", st.value), None) in \
            {"FAIL", "ERROR", "MISS", "PASS", "SKIP"}
        assert kcidb.sub_status(SubResult("s", st.value)) in {"FAIL", "ERROR", "MISS", "PASS", "SKIP"}


def test_golden_file(tmp_path):
    """A recorded small summary (runner/testing/data/kcidb/: 6.1, 7.3 and host, a known bug,
    a probe skip, a regression, a crash, a timeout, a skip that must not be, an interrupted
    and a host-fault case) renders to the committed document."""
    tree = summ.load(FIXTURE / "summary.json")
    doc = kcidb.render(tree, results_dir=FIXTURE)
    validate(doc)
    golden = json.loads((FIXTURE / "kcidb.json").read_text())
    if doc != golden:
        (tmp_path / "kcidb.json").write_text(kcidb.dumps(doc))
        pytest.fail(f"differs from {FIXTURE / 'kcidb.json'}; the new one: {tmp_path / 'kcidb.json'}")
    by_path = {(t["misc"]["kernel"], t["path"]): t for t in doc["tests"]}
    crash = by_path[("7.3", "uring_buffer.provide.provide_nr_bounds")]
    assert crash["status"] == "FAIL" and "Oops: 0000 [#1]" in crash["log_excerpt"]
    known = by_path[("6.1", "uring_buffer.bufring.bufring_unregister_unknown")]
    assert known["status"] == "FAIL" and known["misc"]["known_bug"] is True
    assert known["misc"]["expected_entry"].startswith("expected/bufring.toml entry")
    sub = by_path[("6.1", "uring_buffer.bufring.bufring_unregister_unknown.unknown."
                          "low_bgid_with_low_group_enoent")]
    assert sub["status"] == "FAIL" and sub["log_excerpt"].count("low_bgid_with_low_group_enoent") >= 3
    assert "legacy_group_einval" not in sub["log_excerpt"]
    assert by_path[("7.3", "uring_buffer.clone.clone_lifetime")]["status"] == "ERROR"
    assert by_path[("host", "uring_buffer.clone.clone_lifetime")]["status"] == "MISS"
    assert by_path[("6.1", "uring_buffer.clone.clone_src_empty")]["status"] == "SKIP"


def test_cli_prints_the_document(capsys):
    assert cli.main(["kcidb", str(FIXTURE / "summary.json")]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads((FIXTURE / "kcidb.json").read_text())
    assert cli.main(["kcidb", str(FIXTURE / "summary.json"), "--origin", "my_lab"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert all(o["id"].startswith("my_lab:") and o["origin"] == "my_lab"
               for kind in ("checkouts", "builds", "tests") for o in doc[kind])


@pytest.mark.parametrize("origin", ["My-Lab", "", "a:b"])
def test_a_bad_origin_is_a_usage_error(origin, capsys):
    assert cli.main(["kcidb", str(FIXTURE / "summary.json"), "--origin", origin]) == 2
    assert cli.main(["--kcidb-origin", origin, "--kcidb", "x.json"]) == 2
    assert "[a-z0-9_]+" in capsys.readouterr().err


def test_a_real_matrix_run_validates_and_nothing_is_lost():
    tree = recorded_matrix()
    doc = kcidb.render(tree)
    validate(doc)
    assert doc["version"] == {"major": 5, "minor": 3}
    assert len(doc["checkouts"]) == len(doc["builds"]) == len(tree.kernels) == 11
    groups = case_groups()
    tests = {(t["misc"]["kernel"], t["path"]): t for t in doc["tests"]}
    assert len(tests) == len(doc["tests"])  # one test per case and subtest, none twice
    assert len({t["id"] for t in doc["tests"]}) == len(doc["tests"])
    n = 0
    for k in tree.kernels:
        build = next(b for b in doc["builds"] if b["misc"]["kernel"] == k.id)
        if k.get("package"):
            assert build["misc"]["package"] == k.get("package")
            assert build["misc"]["package_version"] == k.get("package_version")
            assert build["misc"]["sha256"] == k.get("sha256")
        for name, c in k.cases.items():
            path = f"uring_buffer.{groups[name]}.{name}"
            t = tests[(k.id, path)]
            assert t["build_id"] == build["id"]
            v = k.verdicts[name]
            assert t["misc"]["verdict"] == v.kind.value
            if v.known_bug:
                assert t["status"] == "FAIL", (k.id, name)
            if c.status == "skip" and v.kind == Kind.OK:
                assert t["status"] == "SKIP", (k.id, name)
            if t["status"] == "FAIL":
                assert t["log_excerpt"]
            for s in c.subtests:
                assert (k.id, f"{path}.{s.name}") in tests
            n += 1 + len(c.subtests)
    assert n == len(doc["tests"])
    assert sum(1 for t in doc["tests"] if t["path"].count(".") == 2 and t["status"] == "FAIL") == \
        sum(1 for k in tree.kernels for c in k.cases.values() if c.status == "fail")


def test_ids_are_stable_and_a_new_run_gets_new_test_ids():
    tree = summ.load(FIXTURE / "summary.json")
    a = kcidb.render(tree, results_dir=FIXTURE)
    assert kcidb.render(tree, results_dir=FIXTURE) == a
    later = summ.Summary({**tree.run, "started": "2027-01-01T00:00:00+00:00"}, tree.kernels)
    b = kcidb.render(later, results_dir=FIXTURE)
    assert [x["id"] for x in a["builds"]] == [x["id"] for x in b["builds"]]
    assert not {x["id"] for x in a["tests"]} & {x["id"] for x in b["tests"]}
    for o in a["checkouts"] + a["builds"] + a["tests"]:
        assert re.fullmatch(r"uring_buffer:[0-9a-f]{32}", o["id"])


def test_paths_and_excerpts_stay_within_the_schema():
    tree = summ.load(FIXTURE / "summary.json")
    k = copy.deepcopy(tree.kernels[1])
    c = k.cases["regbuf_tag_on_update"]
    c.subtests = [SubResult("we!rd name..x", "fail", "r\0"), SubResult("we!rd name..x", "fail"),
                  SubResult("ok", "pass")]
    c.reason = "x" * 40000
    doc = kcidb.render(summ.Summary(tree.run, [k]), results_dir=FIXTURE)
    validate(doc)
    paths = [t["path"] for t in doc["tests"] if "we_rd" in t["path"]]
    assert paths == ["uring_buffer.regbuf.regbuf_tag_on_update.we_rd_name._.x",
                     "uring_buffer.regbuf.regbuf_tag_on_update.we_rd_name._.x-2"]
    assert max(len(t.get("log_excerpt", "")) for t in doc["tests"]) <= kcidb.EXCERPT_MAX


def test_a_tree_commit_is_the_checkouts_commit():
    tree = summ.load(FIXTURE / "summary.json")
    k = summ.KernelResult("/src/linux", {"release": "7.4.0-rc1", "commit": "a" * 40,
                                         "accel": "kvm", "ran": True},
                          {"bufring_head": CaseResult("bufring_head", "pass")},
                          {"bufring_head": Verdict(Kind.OK, "ok")})
    doc = kcidb.render(summ.Summary(tree.run, [k]))
    validate(doc)
    assert doc["checkouts"][0]["git_commit_hash"] == "a" * 40
    assert "tree_name" not in doc["checkouts"][0]


def test_no_test_sends_anything():
    """The exporter writes files; submitting is the user's (docs/outputs.md)."""
    src = (TOP / "runner" / "report" / "kcidb.py").read_text()
    assert not re.search(r"\b(urllib|http\.client|requests|socket|subprocess)\b", src)
