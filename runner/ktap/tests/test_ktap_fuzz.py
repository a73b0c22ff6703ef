"""runner/ktap.py against random, truncated, interleaved and adversarial consoles (fixed seeds).

The documents are the recorded logs in runner/testing/data/ and synthetic ones shaped like
runner/guest/run-cases.sh output. The properties: the parser never raises; time per line is linear
(100k-character lines in well under a second); it never reports a pass that was not printed
(the case's `# Subtest:` header, then its nested plan filled by nested results with no
nested `not ok`, then its own `ok N name` without SKIP, and no report of it with a nested
`not ok` anywhere); a log cut anywhere before the summary line is never complete.

The oracle below reads the console on its own: it only puts back lines a timestamped printk
cut (as the console does) and drops the console's escape codes with ktap.clean.
"""
import random
import re
import time
from pathlib import Path

from runner.testing.fakes import DATA
from runner.ktap.parser import ConsoleParser, clean, end_reason, parse_console

LOGS = sorted(p.name for p in DATA.glob("*.log"))
SEEDS = range(6)

BENIGN = ["[    5.123456] random: crng init done",
          "[   12.200000] clocksource: Switched to clocksource tsc",
          "[    0.912345] virtio_net virtio0 eth0: renamed from eth0"]
EVENTS = ["[   12.000002] WARNING: CPU: 1 PID: 77 at io_uring/rsrc.c:123 io_rsrc_put_work+0x10/0x20",
          "[    3.101250] Oops: 0000 [#1] PREEMPT SMP NOPTI",
          "[    3.000000] BUG: kernel NULL pointer dereference, address: 0000000000000000",
          "[   30.000000] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:",
          "[    9.000000] Kernel panic - not syncing: Fatal exception"]
NOISE = ["\x00", "\r", "\x1b[0m", "\x1b[2J", "\x1b[01;01H", "\x1bc", "\x1b(B", "\r\x00"]
_TS = re.compile(r"\[\s{0,12}\d{1,12}\.\d{6}\]")
_VERSION = re.compile(r"KTAP version \d+")
_HEADER = re.compile(r"    # Subtest: \S+")
_KERNEL_SHAPE = re.compile(r"\[\s*\d+\.\d+\]|BUG: |WARNING: CPU: |Oops: |Kernel panic|cut here")


def load_lines(name: str) -> list[str]:
    with open(DATA / name, newline="") as f:
        text = f.read()
    return text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")


# -- synthetic documents -----------------------------------------------------------------

def synthetic(rng: random.Random) -> tuple[list[str], dict[str, str]]:
    """A console like run-cases.sh prints in a guest, and the true status of every case."""
    n = rng.randint(1, 6)
    lines = ["[    0.000000] Linux version 6.12.0-fuzz", "# ubc-guest: start", "KTAP version 1",
             "# uring-buffer-conformance on kernel 6.12.0-fuzz (x86_64)", f"1..{n}"]
    truth, totals = {}, [0, 0, 0]
    for i in range(1, n + 1):
        name = rng.choice(["provide_", "clone_", "case_"]) + f"{i}"
        plan = rng.randint(0, 4)
        kinds = [rng.choice("ppppfs") for _ in range(plan)]
        printed = plan if rng.random() < 0.85 else rng.randint(0, plan)
        lines += [f"    # Subtest: {name}", "    TAP version 13", f"    1..{plan}"]
        p = f = s = 0
        for j, kind in enumerate(kinds[:printed], 1):
            lines.append(f"    #  RUN           {name}.t{j} ...")
            if kind == "p":
                lines.append(f"    ok {j} {name}.t{j}")
                p += 1
            elif kind == "f":
                lines += [f"    # {name}.c:12:t{j}:Expected 0 (0) == res (-22)",
                          f"    not ok {j} {name}.t{j}"]
                f += 1
            else:
                lines.append(f"    ok {j} {name}.t{j} # SKIP feature absent: probe said EINVAL")
                s += 1
        rc = 137 if rng.random() < 0.05 else (0 if f == 0 and printed == plan else 1)
        missing = plan - p - f - s
        directive = ""
        if rc == 137:
            directive, status = " # TIMEOUT killed after 120s", "timeout"
        elif missing > 0:
            directive, status = f" # CRASH {missing} of {plan} results missing, exit 139", "crash"
        elif plan == 0 and rc != 0:
            directive, status = " # CRASH no KTAP plan, exit 1", "crash"
        f += missing
        if f == 0 and rc != 0:
            f = 1
        if plan == 0 and f == 0:
            f = 1
        if f > 0:
            lines.append(f"not ok {i} {name}{directive}")
            truth[name] = status if directive else "fail"
        elif p == 0 and s > 0:
            lines.append(f"ok {i} {name} # SKIP feature absent: probe said EINVAL")
            truth[name] = "skip"
        else:
            lines.append(f"ok {i} {name}")
            truth[name] = "pass"
        totals = [totals[0] + p, totals[1] + f, totals[2] + s]
    lines += ["{} passed, {} failed, {} skipped".format(*totals), "# ubc-guest: done exit 0",
              "[   74.030786] reboot: Power down"]
    return lines, truth


# -- the oracle ----------------------------------------------------------------------------

def logical(physical: list[str]) -> list[str]:
    """The lines as printed: a line a timestamped printk cut is put back, kernel lines dropped,
    and a line still cut when the console ends is dropped (it never finished)."""
    out, pending = [], ""
    for line in physical:
        line = clean(line)
        m = _TS.search(line)
        if m:
            pending += line[:m.start()]
            continue
        out.append(pending + line)
        pending = ""
    return out


def top_result(line: str):
    for word in ("ok ", "not ok "):
        if line.startswith(word):
            rest = line[len(word):]
            digits = len(rest) - len(rest.lstrip("0123456789"))
            if not 1 <= digits <= 9:
                return None
            name, _, directive = rest[digits:].partition("#")
            return word == "ok ", name.strip(), directive.strip()
    return None


def printed_passes(lines: list[str]) -> set[str]:
    """The cases the console showed passing (see the module's docstring). A header opens a
    report of a case; it runs to the next top-level result line, and a header inside a
    report is only that report's output."""
    passed, spoiled = set(), set()
    name, block, is_open = None, None, False
    start = next((i for i, line in enumerate(lines) if _VERSION.fullmatch(line.strip())), len(lines))
    for line in lines[start:] + ["ok 0 (end)"]:
        r = top_result(line) if line.startswith(("ok ", "not ok ")) else None
        if r is not None:
            if block is not None:
                ok, rname, directive = r
                plan, results, not_ok = block
                if not_ok:
                    spoiled.add(name)
                elif ok and rname == name and not directive.upper().startswith("SKIP") and \
                        plan is not None and results >= plan:
                    passed.add(name)
            name, block, is_open = None, None, False
        elif block is None:
            if not is_open and _HEADER.fullmatch(line.rstrip()):
                name, block, is_open = line.rstrip()[15:], [None, 0, False], True
        elif line.startswith("    1.."):
            digits = line[7:].rstrip()
            if digits.isdigit() and len(digits) < 10:
                block[0] = int(digits)
        elif line.startswith("    ok "):
            block[1] += 1
        elif line.startswith("    not ok "):
            block[1], block[2] = block[1] + 1, True
    if block is not None and block[2]:
        spoiled.add(name)
    return passed - spoiled


_SUMMARY = re.compile(r"\d{1,9} passed, \d{1,9} failed, \d{1,9} skipped")


def has_summary(physical: list[str]) -> bool:
    """Did the console print the summary line whole?"""
    return any(_SUMMARY.fullmatch(line.rstrip()) for line in logical(physical))


# -- mutations -----------------------------------------------------------------------------

def garbage(rng: random.Random) -> str:
    while True:
        n = rng.choice([1, 8, 40, 200])
        line = "".join(chr(rng.choice([rng.randrange(0, 32), rng.randrange(32, 127),
                                       rng.randrange(128, 0x800), 0xfffd])) for _ in range(n))
        line = line.replace("\n", "")
        if not _KERNEL_SHAPE.search(clean(line)):
            return line


def blocks(lines: list[str]) -> list[tuple[int, int]]:
    """(header index, result index) of every case block."""
    out, start = [], None
    for i, line in enumerate(lines):
        if line.startswith("    # Subtest: "):
            start = i
        elif start is not None and top_result(line) is not None:
            out.append((start, i))
            start = None
    return out


def mutate(rng: random.Random, lines: list[str]) -> list[str]:
    lines = list(lines)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(11)
        i = rng.randrange(len(lines) + 1)
        if op == 0 and lines:  # delete lines
            del lines[i:i + rng.randint(1, 3)]
        elif op == 1:  # garbage lines
            lines[i:i] = [garbage(rng) for _ in range(rng.randint(1, 3))]
        elif op == 2 and lines:  # console noise inside a line
            j = min(i, len(lines) - 1)
            k = rng.randrange(len(lines[j]) + 1)
            lines[j] = lines[j][:k] + rng.choice(NOISE) + lines[j][k:]
        elif op == 3 and len(lines) > 1:  # move a line
            line = lines.pop(min(i, len(lines) - 1))
            lines.insert(rng.randrange(len(lines) + 1), line)
        elif op == 4 and len(lines) > 3:  # shuffle a window
            window = lines[i:i + 4]
            rng.shuffle(window)
            lines[i:i + 4] = window
        elif op == 5 and blocks(lines):  # a block printed again, maybe with another result
            a, b = rng.choice(blocks(lines))
            copy = lines[a:b + 1]
            if rng.random() < 0.5:
                for k, line in enumerate(copy):
                    if line.startswith("    ok ") and rng.random() < 0.5:
                        copy[k] = "    not ok " + line[7:]
                    elif line.startswith(("ok ", "not ok ")) and rng.random() < 0.5:
                        copy[k] = "not ok " + line[3:] if line.startswith("ok ") else "ok " + line[7:]
            at = rng.randrange(b + 1, len(lines) + 1)
            lines[at:at] = copy
        elif op == 6 and lines:  # a huge line
            j = min(i, len(lines) - 1)
            lines[j] += rng.choice([" ", "\x00", "x", "#", "\t "]) * rng.choice([5000, 100_000])
        elif op == 7:  # a kernel report
            lines.insert(i, rng.choice(EVENTS))
        elif op == 8 and lines:  # a top-level number changed
            j = min(i, len(lines) - 1)
            if top_result(lines[j]) is not None:
                ok = lines[j].startswith("ok ")
                rest = lines[j][3 if ok else 7:].lstrip("0123456789")
                lines[j] = ("ok " if ok else "not ok ") + str(rng.randint(0, 9)) + rest
        elif op == 9:  # a stray result with long space runs
            lines.insert(i, "ok 1 " + " " * rng.choice([10, 100_000]) + rng.choice(["", "x", "# SKIP"]))
        elif op == 10 and lines:  # a nested result flipped to a failure
            j = min(i, len(lines) - 1)
            if lines[j].startswith("    ok "):
                lines[j] = "    not ok " + lines[j][7:]
    return lines


def interleave(rng: random.Random, lines: list[str]) -> list[str]:
    """Cut some lines with printk messages, as a serial console does."""
    out = []
    for line in lines:
        if line and rng.random() < 0.08 and not _TS.search(line):
            k = rng.randrange(len(line) + 1)
            out.append(line[:k] + rng.choice(BENIGN))
            out += rng.sample(BENIGN, rng.randint(0, 2))
            out.append(line[k:])
        else:
            out.append(line)
    return out


# -- checks --------------------------------------------------------------------------------

def feed_all(physical: list[str], expected=None, reason=None):
    p, worst = ConsoleParser(), 0.0
    for line in physical:
        t0 = time.perf_counter()
        p.feed(line)
        worst = max(worst, time.perf_counter() - t0)
    run = p.finish(expected, reason)
    run.to_dict()
    end_reason(run, 0, False, None)
    return run, worst


def check(physical: list[str], label: str, expected=None):
    run, worst = feed_all(physical, expected)
    assert worst < 0.5, f"{label}: one line took {worst:.2f}s"
    passes = [n for n, c in run.cases.items() if c.status == "pass"]
    if passes:
        printed = printed_passes(logical(physical))
        for name in passes:
            assert name in printed, f"{label}: {name} passed but was not printed passing"
    return run


def sources(rng: random.Random):
    for name in LOGS:
        yield name, load_lines(name), None
    for k in range(6):
        lines, truth = synthetic(rng)
        yield f"synthetic {k}", lines, truth


def test_unmutated_sources_read_as_printed():
    rng = random.Random(1)
    for label, lines, truth in sources(rng):
        run = check(lines, label)
        if truth is not None:
            assert {n: str(c.status) for n, c in run.cases.items()} == truth, label
            assert run.complete and run.errors == [], (label, run.errors)
            assert run.done
            printed = printed_passes(logical(lines))  # the oracle agrees on clean input
            assert printed == {n for n, st in truth.items() if st == "pass"}, label


def test_random_mutations_never_invent_a_pass():
    for seed in SEEDS:
        rng = random.Random(seed)
        for label, lines, _ in sources(rng):
            for k in range(1 if len(lines) > 300 else 3):
                mutated = mutate(rng, lines)
                if rng.random() < 0.5:
                    mutated = interleave(rng, mutated)
                check(mutated, f"seed {seed} {label} #{k}")


def test_truncated_anywhere_never_complete_and_no_pass_past_the_cut():
    for seed in SEEDS:
        rng = random.Random(100 + seed)
        for label, lines, _ in sources(rng):
            physical = interleave(rng, lines) if rng.random() < 0.5 else lines
            text = "\n".join(physical)
            for _ in range(2 if len(physical) > 300 else 5):
                cut = rng.randrange(len(text) + 1)
                short = text[:cut].split("\n")
                run = check(short, f"seed {seed} {label} cut at {cut}")
                assert not run.complete or has_summary(short), f"{label} cut at {cut}"
            # At line boundaries of a short document, as the streaming reader sees it.
            if len(physical) < 120:
                result_at = {}  # where each case's first result line is
                for i, line in enumerate(physical):
                    r = top_result(line)
                    if r is not None:
                        result_at.setdefault(r[1], i)
                for n in rng.sample(range(len(physical)), min(12, len(physical))):
                    run = check(physical[:n], f"{label} first {n} lines")
                    assert not run.complete or has_summary(physical[:n]), f"{label} {n} lines"
                    for name, case in run.cases.items():  # cut before its result line
                        assert case.status != "pass" or result_at.get(name, -1) < n, (label, n)


def test_adversarial_lines_are_linear():
    doc = ["KTAP version 1", "1..1", "    # Subtest: a", "    1..1"]
    big = 100_000
    rng = random.Random(7)
    lines = ["ok 1 " + " " * big, "ok 1 " + " " * big + "x", "not ok 1 " + " " * big + "#" + " " * big,
             "    ok 1 " + " " * big + "x", "\x00" * big + "ok 1 a", "\r" * big, "\x1b[" * (big // 2),
             "\x1b[" + ";" * big, "[" + " " * big, "[ " + "1" * big, "rcu_" * (big // 4),
             "ok " + "9" * big + " a", "1.." + "9" * big, "# taint changed: " + "a" * big,
             "    # Subtest: " + "a" * big + " b", "x[    1.000000] y" * (big // 16),
             "".join(chr(rng.randrange(0, 0x800)) for _ in range(big)), "#" * big, "ok " * (big // 3)]
    for bad in lines:
        t0 = time.perf_counter()
        run, worst = feed_all(doc + [bad] * 3 + ["    ok 1 a.x", "ok 1 a", "1 passed, 0 failed, 0 skipped"])
        assert time.perf_counter() - t0 < 1.0, repr(bad[:30])
        assert run.cases["a"].status in ("pass", "fail", "crash")
    # Ten times longer, still well under a second: the cost follows the length.
    t0 = time.perf_counter()
    feed_all(doc + ["ok 1 " + " " * (10 * big) + "x", "    ok 1 " + "\t " * (5 * big)])
    assert time.perf_counter() - t0 < 1.0
    # Floods: many kernel reports and cut lines in one case stay linear too.
    flood = doc + ["[    1.000000] BUG: unable to handle page fault"] * 3000 + \
        ["[    2.000000] WARNING: CPU: 0 PID: 1 at x.c:1 f+0x1"] * 3000 + \
        ["    ok[    3.000000] random: crng init done"] * 3000 + ["ok 1 a"]
    t0 = time.perf_counter()
    run, _ = feed_all(flood)
    assert time.perf_counter() - t0 < 3.0
    assert run.cases["a"].status == "crash" and len(run.cases["a"].reason) < 5000


def test_whole_text_parse_matches_streaming():
    rng = random.Random(3)
    for label, lines, _ in sources(rng):
        mutated = interleave(rng, mutate(rng, lines))
        a = parse_console("\n".join(mutated) + "\n")
        b, _ = feed_all(mutated)
        assert a.to_dict() == b.to_dict() and a.errors == b.errors, label
