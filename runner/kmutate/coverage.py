"""Line and branch coverage of io_uring's buffer code by the cases: the tree built with gcov
on io_uring/{kbuf,rsrc,net,rw}.o only (GCOV_PROFILE_<obj>=y on make's command line: the tree
is not touched; CONFIG_DEBUG_FS and CONFIG_GCOV_KERNEL on top of the suite's configuration),
booted with ubc.gcov=1 (runner/guest/init prints the .gcda files as a base64 tar.gz on the
console after the cases), the data brought back and read with the host's gcov (JSON), per
function of targets.txt, with the lines no case reaches."""
from __future__ import annotations

import base64
import gzip
import io
import json
import re
import shutil
import subprocess
import tarfile
from collections import defaultdict
from pathlib import Path

from runner.guest import GCOV_BEGIN, GCOV_END, GCOV_PREFIX
from runner.kmutate import engine
from runner.kmutate.mutants import functions, mask, read_targets

OBJECTS = ("kbuf", "rsrc", "net", "rw")
EXTRA = ["CONFIG_DEBUG_FS=y", "CONFIG_GCOV_KERNEL=y"]
MAKE_VARS = [f"GCOV_PROFILE_{o}.o=y" for o in OBJECTS]


class CoverageError(RuntimeError):
    pass


def gcda_from_console(lines: list[str], dest: Path) -> list[Path]:
    """Unpack the tar the guest printed between the markers into dest; the .gcda files."""
    inside, data = False, []
    for l in lines:
        l = l.rstrip("\r\n")
        i = l.find(GCOV_BEGIN)
        if i >= 0:
            inside, data = True, []
            continue
        if l.find(GCOV_END) >= 0:
            inside = False
            continue
        if inside:
            j = l.find(GCOV_PREFIX)
            if j >= 0:
                data.append(l[j + len(GCOV_PREFIX):].strip())
    if not data:
        raise CoverageError("the console has no gcov data (was the kernel built with gcov, "
                            "did the guest's init get ubc.gcov=1?)")
    raw = base64.b64decode("".join(data))
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:gz") as t:
        for m in t.getmembers():
            if m.isfile() and m.name.endswith(".gcda") and ".." not in Path(m.name).parts:
                out = dest / Path(m.name).name
                out.write_bytes(t.extractfile(m).read())
    return sorted(dest.glob("*.gcda"))


def run_gcov(tree: Path, out: Path, gcda_dir: Path, work: Path, obj: str) -> dict:
    """gcov's JSON for io_uring/<obj>.c: the .gcno from the build, the .gcda from the guest."""
    w = (work / obj).resolve()
    w.mkdir(parents=True, exist_ok=True)
    gcno = out / "io_uring" / f"{obj}.gcno"
    gcda = gcda_dir.resolve() / f"{obj}.gcda"
    if not gcno.exists():
        raise CoverageError(f"{gcno} missing: the build did not profile io_uring/{obj}.o")
    shutil.copy2(gcno, w / f"{obj}.gcno")
    if gcda.exists():
        shutil.copy2(gcda, w / f"{obj}.gcda")
    cp = subprocess.run(["gcov", "-b", "-c", "--json-format", "-o", str(w),
                         str(tree / "io_uring" / f"{obj}.c")], cwd=w, capture_output=True, text=True)
    js = list(w.glob("*.gcov.json.gz"))
    if cp.returncode != 0 or not js:
        raise CoverageError(f"gcov failed on {obj}: {cp.stderr.strip()[:300]}")
    return json.loads(gzip.decompress(js[0].read_bytes()))


def per_function(data: dict, src: str, rel: str) -> dict:
    """function -> {lines, hit, branches, taken, unreached: [(line, text)]} for the file's
    target functions (the functions targets.txt names; for net.c and rw.c the lines near a
    buffer token only, as the mutants)."""
    target = next((t for t in read_targets() if t.file == rel), None)
    if target is None:
        return {}
    text_lines = src.split("\n")
    masked = mask(src).split("\n")
    spans = [f for f in functions(src) if target.functions.fullmatch(f.name)]
    files = [f for f in data.get("files", []) if f["file"].endswith(rel)]
    lines = {}
    for f in files:
        for l in f["lines"]:
            n = l["line_number"]
            prev = lines.get(n)
            br = l.get("branches", [])
            if prev:
                prev["count"] += l["count"]
                for a, b in zip(prev["branches"], br):
                    a["count"] += b["count"]
            else:
                lines[n] = {"count": l["count"], "branches": [dict(b) for b in br]}
    out = {}
    for fn in spans:
        st = {"lines": 0, "hit": 0, "branches": 0, "taken": 0, "unreached": [], "start": fn.start}
        for n in range(fn.start, fn.end + 1):
            if n not in lines:
                continue
            if target.near is not None and not any(
                    target.near.search(masked[k]) for k in range(max(fn.body, n - 3), min(fn.end - 1, n + 2))):
                continue
            l = lines[n]
            st["lines"] += 1
            st["hit"] += l["count"] > 0
            st["branches"] += len(l["branches"])
            st["taken"] += sum(1 for b in l["branches"] if b["count"] > 0)
            if l["count"] == 0:
                st["unreached"].append((n, text_lines[n - 1].strip()))
        if st["lines"]:
            out[fn.name] = st
    return out


def pct(a: int, b: int) -> str:
    return f"{100.0 * a / b:.1f}%" if b else "-"


def markdown(per_file: dict, header: list[str]) -> str:
    out = list(header) + ["", "## Per file (the target functions of runner/kmutate/targets.txt)", "",
                          "| file | lines | reached | line coverage | branches | taken | branch coverage |",
                          "|---|---|---|---|---|---|---|"]
    for rel, fns in per_file.items():
        L = sum(f["lines"] for f in fns.values())
        H = sum(f["hit"] for f in fns.values())
        B = sum(f["branches"] for f in fns.values())
        T = sum(f["taken"] for f in fns.values())
        out.append(f"| {rel} | {L} | {H} | {pct(H, L)} | {B} | {T} | {pct(T, B)} |")
    out += ["", "## Per function", "", "| file | function | lines | line coverage | branches | branch coverage |",
            "|---|---|---|---|---|---|"]
    for rel, fns in per_file.items():
        for name, f in sorted(fns.items(), key=lambda kv: kv[1]["start"]):
            out.append(f"| {rel} | {name} | {f['hit']}/{f['lines']} | {pct(f['hit'], f['lines'])} | "
                       f"{f['taken']}/{f['branches']} | {pct(f['taken'], f['branches'])} |")
    out += ["", "## Lines no case reaches", ""]
    for rel, fns in per_file.items():
        for name, f in sorted(fns.items(), key=lambda kv: kv[1]["start"]):
            if f["unreached"]:
                out.append(f"- {rel} `{name}`: " + "; ".join(f"{n}: `{t}`" for n, t in f["unreached"]))
    return "\n".join(out) + "\n"


def main(cfg: "engine.Config", header: list[str]) -> int:
    cfg.results.mkdir(parents=True, exist_ok=True)
    engine.tree_apply.recover(cfg.tree, engine.state_dir(cfg), cfg.out)
    cfg.say(f"kmutate: gcov build of {cfg.tree} in {cfg.out}")
    b = engine.make_build(cfg.tree, cfg.out, cfg.results / "build.log", cfg.jobs,
                          engine.kconfig_lines() + EXTRA, MAKE_VARS)
    if not b.ok:
        raise RuntimeError(f"the gcov build failed: {b.why} (log {cfg.results / 'build.log'})")
    cfg_text = (cfg.out / ".config").read_text()
    lost = [l for l in EXTRA if l not in cfg_text.splitlines()]
    dropped = engine.config_lost(cfg.out, engine.kconfig_lines())
    if dropped:
        cfg.say(f"kmutate: this tree's Kconfig dropped {', '.join(dropped)} (runner/kmutate/kmutate.config)")
    if lost:
        raise RuntimeError(f"the tree's Kconfig did not keep {' '.join(lost)}")
    if b.missing:
        cfg.say(f"kmutate: the tree's Kconfig did not keep {' '.join(b.missing)} (as for the "
                "mutants' build)")
    cfg.opts.extra_append = (cfg.opts.extra_append + " ubc.gcov=1").strip()
    cfg.opts.max_boots = 1
    r = engine.boot(b.image, cfg.cases, cfg.opts, cfg.results / "boot")
    cfg.say(f"kmutate: gcov kernel: {r.line}")
    gcda = gcda_from_console(r.console.read_text(errors="replace").splitlines(), cfg.results / "gcda")
    per_file = {}
    for obj in OBJECTS:
        rel = f"io_uring/{obj}.c"
        data = run_gcov(cfg.tree, cfg.out, cfg.results / "gcda", cfg.results / "gcov", obj)
        per_file[rel] = per_function(data, (cfg.tree / rel).read_text(), rel)
    (cfg.results / "coverage.json").write_text(json.dumps(per_file, indent=1))
    text = markdown(per_file, header + [f"- gcda files: {', '.join(p.name for p in gcda)}",
                                        f"- cases: {r.line}"])
    (cfg.results / "coverage.md").write_text(text)
    for rel, fns in per_file.items():
        L = sum(f["lines"] for f in fns.values())
        H = sum(f["hit"] for f in fns.values())
        B = sum(f["branches"] for f in fns.values())
        T = sum(f["taken"] for f in fns.values())
        cfg.say(f"kmutate: coverage {rel}: lines {H}/{L} {pct(H, L)}, branches {T}/{B} {pct(T, B)}")
    cfg.say(f"kmutate: coverage report {cfg.results / 'coverage.md'}")
    return 0
