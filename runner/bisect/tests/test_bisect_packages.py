"""The packaged-kernel search (runner/bisect_packages.py) on a recorded version list
(data/papt_madison_2026-12.txt: `papt apt-cache madison` of every cloud kernel, mirror
replaced by MIRROR), with a fake boot that answers from a table. Nothing is downloaded."""
from pathlib import Path

import pytest

from runner.testing.fakes import DATA
from runner.bisect import packages as bp
from runner.kernel import resolve as kernels
from runner.bisect.verdict import BAD, GOOD, INFRA, SKIP, StepVerdict
from runner.run.preflight import UsageError



@pytest.fixture(scope="module")
def pkgs():
    return kernels.usable(kernels.parse_madison((DATA / "papt_madison_2026-12.txt").read_text()))


def span(pkgs, a, b):
    return bp.candidates(pkgs, kernels.match(a, pkgs), kernels.match(b, pkgs))


def boots(answer):
    seen = []

    def test(p):
        seen.append(p.upstream)
        k = answer(p)
        return StepVerdict(k, f"{p.upstream} said {k}", {"case": f"{k} on {p.upstream}"})
    return test, seen


def vk(v):
    return kernels.vkey(v)


def test_the_candidates_are_every_version_between_in_order(pkgs):
    s = span(pkgs, "6.12", "7.1")
    ups = [p.upstream for p in s]
    assert ups[0] == "6.12.117" and ups[-1] == "7.1.13"
    assert ups == sorted(ups, key=vk) and "6.16.3" in ups and "7.2.6" not in ups
    assert len(s) == len({(p.name, p.version) for p in s}) == 25


def test_first_bad_found_with_few_boots(pkgs):
    s = span(pkgs, "6.12", "7.3")
    test, seen = boots(lambda p: BAD if vk("6.16.3") <= vk(p.upstream) < vk("7.2.6") else GOOD)
    # regression: 6.16.3 first bad, seen from the good end; then searched for the fix
    r = bp.search(span(pkgs, "6.12", "7.1"), test, GOOD, BAD)
    assert (r.span[r.lo].upstream, r.span[r.hi].upstream) == ("6.12.117", "6.16.3")
    assert len(seen) <= 2 + 5  # both ends + log2(27)
    test, seen = boots(lambda p: BAD if vk("6.16.3") <= vk(p.upstream) < vk("7.2.6") else GOOD)
    r = bp.search(span(pkgs, "6.16", "7.3"), test, BAD, GOOD)
    assert (r.span[r.lo].upstream, r.span[r.hi].upstream) == ("7.1.13", "7.2.6")
    lines = bp.report(r, BAD, GOOD, fix=True)
    assert any(l.startswith("== last bad: 7.1.13") for l in lines)
    assert any(l.startswith("== first fixed: 7.2.6") for l in lines)
    assert any("7.2.6 case: good on 7.2.6" in l for l in lines)
    assert len(s) > len(seen)


def test_skipped_versions_are_stepped_over(pkgs):
    s = span(pkgs, "6.12", "7.1")
    # 6.17.x skips (feature absent there, say); the change is at 7.0.4
    def answer(p):
        if p.series == "6.17":
            return SKIP
        return BAD if vk(p.upstream) >= vk("7.0.4") else GOOD
    test, seen = boots(answer)
    r = bp.search(s, test, GOOD, BAD)
    assert not r.problem and r.span[r.hi].upstream == "7.0.4"
    assert r.span[r.lo].upstream == "6.19.14"
    assert not any(r.span[i].series == "6.17" and i not in r.tried for i in range(r.lo, r.hi))
    # the change right after skipped versions: a range, as git bisect says it
    test, seen = boots(lambda p: SKIP if p.series == "6.18" else
                       (BAD if vk(p.upstream) >= vk("6.19.6") else GOOD))
    r = bp.search(s, test, GOOD, BAD)
    assert "every version between them SKIPs: the change is in 6.17.13-1~bpo13+1 .. 6.19.6" in r.problem


def test_an_end_that_is_not_what_it_was_said_to_be_is_a_problem(pkgs):
    test, _ = boots(lambda p: BAD)
    r = bp.search(span(pkgs, "6.12", "7.1"), test, GOOD, BAD)
    assert "the older end 6.12.117-1 is BAD, not GOOD" in r.problem


def test_infrastructure_failure_stops_the_search(pkgs):
    test, seen = boots(lambda p: INFRA if p.upstream == "7.1.13" else GOOD)
    r = bp.search(span(pkgs, "6.12", "7.1"), test, GOOD, BAD)
    assert r.stopped is not None and r.stopped.kind == INFRA and len(seen) == 2


def test_only_skips_between_is_a_problem(pkgs):
    s = span(pkgs, "7.2.12", "7.3")
    test, _ = boots(lambda p: {"7.2.12": GOOD, "7.3.4": BAD}.get(p.upstream, SKIP))
    r = bp.search(s, test, GOOD, BAD)
    assert "every version between them SKIPs" in r.problem


def parse(argv):
    from runner import cli
    return cli.parser().parse_args(["bisect-packages", *argv])


def test_usage(pkgs, monkeypatch):
    monkeypatch.setattr(bp, "Packages", lambda: (lambda arch="x86_64": pkgs))
    with pytest.raises(UsageError, match="must be older"):
        bp.main(parse(["--good", "7.1", "--bad", "6.12", "provide_nr_bounds"]))
    with pytest.raises(UsageError, match="no Debian"):
        bp.main(parse(["--good", "5.4", "--bad", "6.12", "provide_nr_bounds"]))
    with pytest.raises(UsageError, match="required"):
        parse(["provide_nr_bounds"])
