"""docs/architecture.md's tree block against the real tree, so the page cannot drift.

- every path the tree block names exists (a name ending in / is a folder, any other a file);
- every top-level folder of the repository, and every folder under runner/, is named in it,
  except what git ignores (.gitignore: build/, results/, __pycache__/, ...), tests/ folders
  (each package has one; the page says so once) and the fixtures inside runner/testing's
  data/, fake/ and guest/ (a fake kernel tree's arch/x86/ is no part of the design);
- every line of the block gives its entry a job;
- every repository path the README and docs/ mention (runner/..., scripts/..., docs/..., ...)
  outside fenced blocks (recorded transcripts) exists, so a file that moves cannot leave an
  old path behind.
"""
from __future__ import annotations

import glob
import re
from pathlib import Path

from runner.core.paths import TOP

PAGE = TOP / "docs" / "architecture.md"
# Folders whose subfolders are test fixtures: the folder itself must be named, not its insides.
FIXTURES = {"runner/testing/data", "runner/testing/fake", "runner/testing/guest"}
# Never part of the design: every package's tests (named once in the page's prose) and git.
SKIP_NAMES = {"tests", ".git"}
# The folders the README and docs/ may name: a mention of anything under them must exist.
MENTIONED = re.compile(r"(?<![\w./<>~-])((?:runner|scripts|docs|harness|cases|expected|bench|\.ci)/[\w./*-]*)")


def ignored_names() -> set[str]:
    """Folder names .gitignore excludes (lines such as /build/ or __pycache__/)."""
    names = {"__pycache__"}
    gi = TOP / ".gitignore"
    if gi.exists():
        for line in gi.read_text().splitlines():
            line = line.strip()
            if line.endswith("/") and not line.startswith("#") and "*" not in line:
                names.add(line.strip("/"))
    return names


def tree_block() -> list[str]:
    """The first fenced block after the '## The tree' heading."""
    text = PAGE.read_text()
    section = text.split("\n## The tree\n", 1)
    assert len(section) == 2, f"{PAGE} has no '## The tree' section"
    m = re.search(r"^```[^\n]*\n(.*?)^```", section[1], re.S | re.M)
    assert m, f"{PAGE}: no fenced block under '## The tree'"
    return [line for line in m.group(1).splitlines() if line.strip()]


def tree_entries() -> list[tuple[str, str, int]]:
    """(repository path, job, line number in the block) for every line of the tree block.
    Two spaces of indent a level; a folder's entries follow it one level deeper."""
    entries, parents = [], []
    for n, line in enumerate(tree_block(), 1):
        indent = len(line) - len(line.lstrip(" "))
        assert indent % 2 == 0, f"tree line {n}: indent {indent} is not a multiple of 2: {line!r}"
        level = indent // 2
        assert level <= len(parents), f"tree line {n}: indented past its folder: {line!r}"
        del parents[level:]
        assert all(parents), f"tree line {n}: an entry under a file: {line!r}"
        name, _, job = line.strip().partition(" ")
        assert not re.search(r"[<>*?]", name), f"tree line {n}: {name!r} is a pattern, not a path"
        path = "".join(parents) + name
        entries.append((path, job.strip(), n))
        parents.append(name if name.endswith("/") else "")  # nothing goes under a file
    return entries


def real_folders() -> set[str]:
    """The repository's top-level folders and every folder under runner/, as 'a/b/'."""
    skip = ignored_names() | SKIP_NAMES
    found = {p.name + "/" for p in TOP.iterdir() if p.is_dir() and p.name not in skip}
    for d in sorted((TOP / "runner").rglob("*")):
        if not d.is_dir():
            continue
        rel = d.relative_to(TOP)
        if any(part in skip for part in rel.parts):
            continue
        if any(str(rel).startswith(f + "/") for f in FIXTURES):
            continue
        found.add(str(rel) + "/")
    return found


def test_every_path_in_the_tree_exists():
    missing = []
    for path, _, n in tree_entries():
        p = TOP / path
        if path.endswith("/") and not p.is_dir() or not path.endswith("/") and not p.is_file():
            missing.append(f"line {n}: {path}")
    assert not missing, "docs/architecture.md names paths that do not exist:\n" + "\n".join(missing)


def test_every_entry_has_a_job():
    bare = [f"line {n}: {path}" for path, job, n in tree_entries() if not job]
    assert not bare, "docs/architecture.md: entries without their job:\n" + "\n".join(bare)


def test_no_entry_twice():
    paths = [path for path, _, _ in tree_entries()]
    twice = sorted({p for p in paths if paths.count(p) > 1})
    assert not twice, f"docs/architecture.md names these twice: {twice}"


def test_every_folder_is_in_the_tree():
    named = {path for path, _, _ in tree_entries() if path.endswith("/")}
    # A folder named as part of a longer path (multi/main.c) counts as named.
    for path, _, _ in tree_entries():
        parts = path.rstrip("/").split("/")
        named.update("/".join(parts[:i]) + "/" for i in range(1, len(parts)))
    absent = sorted(real_folders() - named)
    assert not absent, ("folders missing from the tree in docs/architecture.md (add each with "
                        "its job):\n" + "\n".join(absent))


def test_every_path_the_docs_mention_exists():
    pages = [TOP / "README.md", *sorted((TOP / "docs").rglob("*.md"))]
    missing = []
    for page in pages:
        fenced = False
        for n, line in enumerate(page.read_text().splitlines(), 1):
            if line.startswith("```"):
                fenced = not fenced
            if fenced:  # recorded transcripts say what was there then; the tree is checked above
                continue
            for m in MENTIONED.finditer(line):
                path = m.group(1).rstrip(".,:;")
                if not path.rstrip("/") or not glob.glob(str(TOP / path)):
                    missing.append(f"{page.relative_to(TOP)}:{n}: {path}")
    assert not missing, "paths named in the docs that do not exist:\n" + "\n".join(missing)
