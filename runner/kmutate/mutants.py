"""The kernel mutants: single-point changes to the functions of io_uring's buffer API
(targets.txt), made by operators, sampled with a seed (a run is repeatable), plus a
hand-written list (mutants.txt) and the equivalent ones with their reasons (equivalent.txt).

A mutant replaces whole lines and keeps the line count, so file:line stays true. Operators:
  bound     a relational operator one off: < and <=, > and >= swapped
  negate    an equality flipped: == and != swapped
  check     an `if (C) return -E...;` check removed: `if ((C) && 0)` (C's side effects stay)
  errno     a returned or assigned errno changed (-EINVAL becomes -EOVERFLOW, others -EINVAL)
  flag      a flag not set or not cleared: `x |= F;` / `x &= ~F;` removed
  loop      a for loop that stops one early: `i < n` becomes `i < (n) - 1`
  hand      written by hand (mutants.txt)
"""
from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from runner.core.errors import UsageError

HERE = Path(__file__).resolve().parent
TARGETS = HERE / "targets.txt"
HAND = HERE / "mutants.txt"
EQUIVALENT = HERE / "equivalent.txt"
OPERATORS = ("bound", "negate", "check", "errno", "flag", "loop", "hand")


@dataclass
class Target:
    file: str                  # relative to the tree: io_uring/kbuf.c
    functions: re.Pattern
    near: re.Pattern | None = None


@dataclass
class Function:
    name: str
    start: int                 # 1-based line of the header's first line
    body: int                  # 1-based line of the opening brace
    end: int                   # 1-based line of the closing brace


@dataclass
class Mutant:
    id: str
    file: str
    function: str
    line: int                  # 1-based, first changed line
    op: str
    old: list[str]             # the lines replaced (without newlines)
    new: list[str]             # as many lines
    equivalent: str = ""       # why it cannot be killed (equivalent.txt), or ""
    extra: dict = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def describe(self) -> str:
        o = " ".join(l.strip() for l in self.old if l.strip())
        n = " ".join(l.strip() for l in self.new if l.strip() and l.strip() != ";") or "(removed)"
        return f"{o}  ->  {n}"

    def apply_to(self, text: str) -> str:
        lines = text.split("\n")
        i = self.line - 1
        if lines[i:i + len(self.old)] != self.old:
            raise ValueError(f"{self.id}: {self.where} is not what the mutant was made from")
        lines[i:i + len(self.old)] = self.new
        return "\n".join(lines)


def read_targets(path: Path = TARGETS) -> list[Target]:
    out = []
    for raw in path.read_text().splitlines():
        if not raw.strip() or raw.lstrip().startswith("#") or raw.startswith("cases "):
            continue
        parts = raw.split(None, 2)
        out.append(Target(parts[0], re.compile(parts[1]),
                          re.compile(parts[2]) if len(parts) > 2 else None))
    return out


def read_case_sets(path: Path = TARGETS) -> dict[str, list[str]]:
    """file -> the case globs its mutants run first (`cases FILE GLOB...` lines)."""
    out = {}
    for raw in path.read_text().splitlines():
        if raw.startswith("cases "):
            parts = raw.split()
            out[parts[1]] = parts[2:]
    return out


# -- reading C ------------------------------------------------------------------------------

def mask(text: str) -> str:
    """Comments, strings and character literals replaced by spaces (newlines kept), so the
    operators never match inside them. Offsets are the text's."""
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            j += 1
        else:
            i += 1
            continue
        for k in range(i, min(j, n)):
            if out[k] != "\n":
                out[k] = " "
        i = j
    return "".join(out)


NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\($")


def functions(text: str) -> list[Function]:
    """Top-level function definitions (kernel style: header from column 0, `{` and `}` alone
    in column 0)."""
    lines = mask(text).split("\n")
    out, i = [], 0
    while i < len(lines):
        l = lines[i]
        if l[:1].isalpha() or l[:1] == "_":
            # gather the header up to a line that is "{" (a definition) or ends with ; or = {
            j, header = i, l
            while j < len(lines) and lines[j].strip() != "{" and not header.rstrip().endswith((";", "{")) \
                    and j - i < 8:
                j += 1
                if j < len(lines) and lines[j].strip() != "{":
                    header += " " + lines[j].strip()
            if j < len(lines) and lines[j] == "{" and "(" in header and "=" not in header.split("(")[0]:
                m = NAME.search(header[:header.index("(") + 1])
                k = j + 1
                while k < len(lines) and lines[k] != "}":
                    k += 1
                if m and k < len(lines):
                    out.append(Function(m.group(1), i + 1, j + 1, k + 1))
                    i = k + 1
                    continue
        i += 1
    return out


# -- operators -------------------------------------------------------------------------------

REL = re.compile(r"(?<=[\w)\]] )(<=|>=|==|!=|<|>)(?= [\w(!&*-])")
BOUND = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}
NEGATE = {"==": "!=", "!=": "=="}
ERRNO = re.compile(r"-E[A-Z0-9]+\b")
RETURN_ERR = re.compile(r"^\s*return\s+-E[A-Z0-9]+\s*;\s*$")
ASSIGN_ERR = re.compile(r"^\s*(return\s+|\w+\s*=\s*)-E[A-Z0-9]+\s*;\s*$")
FLAG = re.compile(r"^\s*[\w>.\[\]-]+(\s*->\s*\w+)*\s*(\|=\s*[\w| ()]+|&=\s*~\s*[\w| ()]+)\s*;\s*$")
FOR = re.compile(r"^(\s*for\s*\([^;]*;\s*)(\w+(?:->\w+)*)\s*<\s*([^;]+?)(\s*;.*)$")
IF_START = re.compile(r"^\s*(?:else\s+)?if\s*\(")


def _indent(line: str) -> str:
    return line[:len(line) - len(line.lstrip())]


def _close_paren(lines: list[str], i: int, col: int) -> tuple[int, int] | None:
    """The (line, col) of the ')' closing the '(' at lines[i][col] (masked lines)."""
    depth = 0
    for li in range(i, min(i + 8, len(lines))):
        start = col if li == i else 0
        for ci in range(start, len(lines[li])):
            ch = lines[li][ci]
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
                if depth == 0:
                    return li, ci
    return None


def sites(text: str, fn: Function, near: re.Pattern | None) -> list[tuple[int, str, list[str], list[str]]]:
    """(first line index, op, old lines, new lines) of one function's body."""
    lines = text.split("\n")
    masked = mask(text).split("\n")
    out = []

    def ok(i: int) -> bool:
        if masked[i].rstrip().endswith("\\") or masked[i].lstrip().startswith("#"):
            return False
        if near is None:
            return True
        return any(near.search(masked[k]) for k in range(max(fn.body, i - 2), min(fn.end - 1, i + 3)))

    for i in range(fn.body, fn.end - 1):
        m_line, line = masked[i], lines[i]
        if not ok(i):
            continue
        # relational operators, one site per occurrence
        for m in REL.finditer(m_line):
            op = m.group(1)
            if op in BOUND:
                out.append((i, "bound", [line], [line[:m.start()] + BOUND[op] + line[m.end():]]))
            else:
                out.append((i, "negate", [line], [line[:m.start()] + NEGATE[op] + line[m.end():]]))
        # a loop that stops one early
        m = FOR.match(m_line)
        if m and "(" not in m.group(3)[:1]:
            a, b = m.start(3), m.end(3)
            out.append((i, "loop", [line], [line[:a] + f"({line[a:b]}) - 1" + line[b:]]))
        # errno changed
        if ASSIGN_ERR.match(m_line):
            m = ERRNO.search(m_line)
            new = "-EOVERFLOW" if m.group(0) == "-EINVAL" else "-EINVAL"
            out.append((i, "errno", [line], [line[:m.start()] + new + line[m.end():]]))
        # a flag not set / not cleared
        if FLAG.match(m_line):
            out.append((i, "flag", [line], [_indent(line) + ";"]))
        # an `if (...) return -E...;` check removed
        m = IF_START.match(m_line)
        if m:
            end = _close_paren(masked, i, m.end() - 1)
            if end:
                li, ci = end
                rest = masked[li][ci + 1:].strip()
                if RETURN_ERR.match(rest) or (rest == "" and li + 1 < fn.end - 1
                                              and RETURN_ERR.match(masked[li + 1])):
                    # `if (C)` -> `if ((C) && 0)`: C still runs (a copy_from_user stays), the
                    # check never fires
                    old = lines[i:li + 1]
                    new = list(old)
                    op_at = m.end() - 1
                    new[-1] = new[-1][:ci] + ") && 0)" + new[-1][ci + 1:]
                    new[0] = new[0][:op_at] + "((" + new[0][op_at + 1:]
                    if rest == "":  # the return line, unchanged, for the listing
                        old, new = old + [lines[li + 1]], new + [lines[li + 1]]
                    out.append((i, "check", old, new))
    return out


def _id(file: str, function: str, op: str, old: list[str], new: list[str], k: int) -> str:
    h = hashlib.sha1("\0".join([file, function, op, *[l.strip() for l in old],
                                *[l.strip() for l in new], str(k)]).encode()).hexdigest()[:8]
    return f"{Path(file).name}:{function}:{op}:{h}"


def generate(tree: Path, targets: list[Target] | None = None) -> list[Mutant]:
    """Every mutant the operators make over the targets, in file and line order, each once."""
    out = []
    for t in targets if targets is not None else read_targets():
        path = tree / t.file
        if not path.is_file():
            continue
        text = path.read_text()
        seen = set()
        for fn in functions(text):
            if not t.functions.fullmatch(fn.name):
                continue
            count: dict = {}
            for i, op, old, new in sites(text, fn, t.near):
                key = (i, tuple(new))
                if key in seen or old == new:
                    continue
                seen.add(key)
                ck = (op, tuple(l.strip() for l in old), tuple(l.strip() for l in new))
                k = count[ck] = count.get(ck, 0) + 1
                out.append(Mutant(_id(t.file, fn.name, op, old, new, k), t.file, fn.name,
                                  i + 1, op, old, new))
    return out


def function_at(text: str, line: int) -> str:
    for fn in functions(text):
        if fn.start <= line <= fn.end:
            return fn.name
    return "?"


def read_hand(tree: Path, path: Path = HAND) -> list[Mutant]:
    """mutants.txt: blocks separated by blank lines:
        mutant FILE NAME [FUNCTION]
        - the exact text of one line (in exactly one line of FILE, or of FUNCTION)
        + its replacement
        # a comment: what it breaks, which case should catch it
    A missing file or text is an error (the list is kept in step with the pinned kernel)."""
    out = []
    if not path.exists():
        return out
    for block in re.split(r"\n\s*\n", path.read_text()):
        rows = [l for l in block.splitlines() if l.strip() and not l.startswith("#")]
        if not rows or not rows[0].startswith("mutant "):
            continue
        head = rows[0].split()
        file, name = head[1], (head[2] if len(head) > 2 else "")
        in_fn = head[3] if len(head) > 3 else None
        minus = [l[2:] for l in rows if l.startswith("- ")]
        plus = [l[2:] for l in rows if l.startswith("+ ")]
        if len(minus) != 1 or len(plus) != 1:
            raise UsageError(f"{path.name}: mutant {file} {name}: one '- ' and one '+ ' line")
        text = (tree / file).read_text()
        lines = text.split("\n")
        hits = [i for i, l in enumerate(lines) if minus[0].strip() in l]
        if in_fn:
            hits = [i for i in hits if function_at(text, i + 1) == in_fn]
        if len(hits) != 1:
            raise UsageError(f"{path.name}: '{minus[0].strip()}' is in {len(hits)} lines of "
                             f"{in_fn or file}, not 1")
        i = hits[0]
        new = lines[i].replace(minus[0].strip(), plus[0].strip(), 1)
        fn = function_at(text, i + 1)
        mid = f"{Path(file).name}:{fn}:hand:{name or hashlib.sha1(new.encode()).hexdigest()[:8]}"
        out.append(Mutant(mid, file, fn, i + 1, "hand", [lines[i]], [new]))
    return out


def read_equivalent(path: Path = EQUIVALENT) -> dict[str, str]:
    """equivalent.txt: `ID  reason` a line (# comments): mutants no case can kill."""
    out = {}
    if path.exists():
        for raw in path.read_text().splitlines():
            if raw.strip() and not raw.startswith("#"):
                mid, _, why = raw.strip().partition(" ")
                out[mid] = why.strip()
    return out


def select(tree: Path, count: int, seed: int, hand: bool = True, only: str | None = None,
           targets: list[Target] | None = None, hand_path: Path = HAND,
           equivalent_path: Path = EQUIVALENT) -> tuple[list[Mutant], int]:
    """The hand-written mutants, then `count` of the generated ones sampled with `seed`,
    sorted by file and line (consecutive mutants of one file rebuild one object).
    only: a regular expression on the mutant's id. Returns (mutants, size of the pool)."""
    pool = generate(tree, targets)
    if only:
        pool = [m for m in pool if re.search(only, m.id)]
    rng = random.Random(seed)
    picked = rng.sample(pool, min(count, len(pool))) if count >= 0 else list(pool)
    chosen = (read_hand(tree, hand_path) if hand else []) + picked
    if only:
        chosen = [m for m in chosen if re.search(only, m.id)]
    eq = read_equivalent(equivalent_path)
    uniq, ids = [], set()
    for m in chosen:
        if m.id not in ids:
            ids.add(m.id)
            m.equivalent = eq.get(m.id, "")
            uniq.append(m)
    uniq.sort(key=lambda m: (m.file, m.line, m.id))
    return uniq, len(pool)


def interleave(ms: list[Mutant]) -> list[Mutant]:
    """Round robin over the files, each file's in line order: a run stopped early has some of
    every file (a little slower: the previous file's object is rebuilt at each mutant)."""
    by: dict[str, list[Mutant]] = {}
    for m in ms:
        by.setdefault(m.file, []).append(m)
    out, lists = [], [by[f] for f in sorted(by)]
    while any(lists):
        for l in lists:
            if l:
                out.append(l.pop(0))
    return out
