"""The runner's imports go only downward along the data path, with no cycle; the options
the commands share are declared once (runner/run/options.py) and validated the same way
in every subcommand that takes them."""
import ast
from pathlib import Path

import pytest

from runner import cli
from runner.core.errors import UsageError

RUNNER = Path(__file__).resolve().parents[2]
# Lower layers first; a package may import its own modules and any lower layer's.
LAYERS = [{"core", "guest"}, {"ktap", "kernel"}, {"judge"}, {"report"}, {"run"},
          {"bisect", "kselftest", "lab", "shard"}, {"kmutate"}, {"commands"}, {"cli", "__main__"}]
RANK = {pkg: i for i, layer in enumerate(LAYERS) for pkg in layer}


def package_of(module: str) -> str:
    return module.split(".")[1] if module.count(".") else "cli"


def imports() -> dict[str, set[str]]:
    """runner module -> the runner modules it imports (tests and fixtures left out)."""
    out = {}
    for f in RUNNER.rglob("*.py"):
        rel = f.relative_to(RUNNER.parent).with_suffix("")
        if "tests" in rel.parts or "testing" in rel.parts:
            continue
        name = ".".join(rel.parts).removesuffix(".__init__")
        deps = set()
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("runner"):
                deps.add(node.module)
                deps.update(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names if a.name.startswith("runner"))
        out[name] = deps
    known = set(out)
    return {m: {d for d in ds if d in known and d != m} for m, ds in out.items()}


def test_no_upward_import():
    bad = []
    for mod, deps in imports().items():
        for d in deps:
            a, b = package_of(mod), package_of(d)
            if a != b and d != "runner" and RANK.get(b, 99) >= RANK.get(a, -1):
                bad.append(f"{mod} imports {d} ({b} is not below {a})")
    assert bad == []


def test_no_import_cycle():
    graph = imports()
    state: dict[str, int] = {}

    def visit(m, path):
        state[m] = 1
        for d in graph.get(m, ()):
            if state.get(d) == 1:
                raise AssertionError("cycle: " + " -> ".join(path + [m, d]))
            if d not in state:
                visit(d, path + [m])
        state[m] = 2
    for m in graph:
        if m not in state:
            visit(m, [])


def every_package_has_a_layer():
    return [p.name for p in RUNNER.iterdir() if (p / "__init__.py").exists()
            and p.name not in RANK and p.name != "testing"]


def test_every_package_is_placed():
    assert every_package_has_a_layer() == []


def subparsers():
    ap = cli.parser()
    action = next(a for a in ap._actions if a.dest == "command")
    return action.choices


def test_shared_options_declared_once_in_the_source():
    from runner.run.options import SHARED
    for opt in SHARED:
        hits = [str(f.relative_to(RUNNER)) for f in RUNNER.rglob("*.py")
                if "tests" not in f.parts and f"add_argument(\"{opt}\"" in f.read_text()]
        assert hits == ["run/options.py"], (opt, hits)


@pytest.mark.parametrize("opt,bad", [("--case-timeout", "-5"), ("--case-timeout", "abc"),
                                     ("--accel", "qemu")])
def test_every_subcommand_validates_shared_options_alike(opt, bad):
    seen = 0
    for name, p in subparsers().items():
        if not any(opt in a.option_strings for a in p._actions):
            continue
        seen += 1
        with pytest.raises(UsageError, match=opt):
            cli.parser().parse_args([name, opt, bad, "x"])
    assert seen >= 2  # run, bisect-step and bisect-packages share them


def test_environment_validated_like_its_option(monkeypatch):
    for value in ("-5", "abc", "0"):
        monkeypatch.setenv("UBC_CASE_TIMEOUT", value)
        assert cli.main(["--list"]) == 2
