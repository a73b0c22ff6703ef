"""ci/github/ and ci/gitlab/: the recipes parse as YAML, have a plan job, a shard job per
matrix entry (fail-fast off, results uploaded even when a shard fails) and a merge that runs
whatever the shards did; they call only the suite's commands, and every `run_tests.sh`
command line in them parses with the real parser (runner/cli.py)."""
import json
import re
import shlex
from pathlib import Path

import pytest

from runner import cli
from runner.core.paths import TOP

yaml = pytest.importorskip("yaml", reason="apt-get install python3-yaml")
GITHUB = TOP / "ci" / "github" / "uring-buffer-conformance.yml"
GITLAB = TOP / "ci" / "gitlab" / ".gitlab-ci.yml"
# What a job may run besides ./run_tests.sh.
ALLOWED = {"scripts/setup", "echo"}
# Sample values for the CI's own expressions and variables.
EXPRESSIONS = {"matrix.shard": "2/3", "matrix.plan": "0123456789abcdef" * 4,
               "matrix.index": "2", "matrix.kernels": "6.1 7.3", "github.workspace": "/w"}
CI_VARS = {"CI_NODE_INDEX": "2", "CI_NODE_TOTAL": "3", "CI_PROJECT_DIR": "/w",
           "GITHUB_OUTPUT": "/tmp/out"}


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def github_lines(doc) -> list[str]:
    return [s["run"] for job in doc["jobs"].values() for s in job["steps"] if "run" in s]


def gitlab_lines(doc) -> list[str]:
    out = list(doc.get("default", {}).get("before_script", []))
    for name, job in doc.items():
        if isinstance(job, dict) and "script" in job:
            out += job.get("before_script", []) + job["script"]
    return out


def expand(line: str, env: dict) -> str:
    def expr(m):
        key = m.group(1).strip()
        assert key in EXPRESSIONS, f"no sample value for ${{{{ {key} }}}}"
        return EXPRESSIONS[key]
    line = re.sub(r"\$\{\{([^}]*)\}\}", expr, line)
    values = {**CI_VARS, **env}

    def var(m):
        name = m.group(1) or m.group(2)
        assert name in values, f"${name} is not set by the recipe"
        return values[name]
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", var, line)


def commands(line: str) -> list[list[str]]:
    """The simple commands of a shell line: each $( ) on its own, then split at ; && || |,
    redirections left out."""
    subs = re.findall(r"\$\(([^()]*)\)", line)
    out = []
    for chunk in [re.sub(r"\$\(([^()]*)\)", "SUBST", line), *subs]:
        for part in re.split(r"&&|\|\||[;|]", chunk):
            words = shlex.split(re.sub(r"\d?>>?\s*\S+", "", part))
            if words:
                out.append(words)
    return out


def parse(argv: list[str]):
    """As runner/cli.py's main() reads argv: the default subcommand is run."""
    names = cli.commands()
    if not argv or argv[0] not in names:
        argv = ["run", *argv]
    return cli.parser().parse_args(argv)


def suite_commands(lines, env) -> list:
    parsed = []
    for raw in lines:
        line = expand(raw, env)
        for words in commands(line):
            if words[0] == "./run_tests.sh":
                parsed.append(parse(words[1:]))  # a UsageError here fails the test
            else:
                assert words[0] in ALLOWED, f"{raw!r}: {words[0]} is not one of the suite's commands"
    return parsed


def test_the_github_workflow():
    doc = load(GITHUB)
    jobs = doc["jobs"]
    assert set(jobs) == {"plan", "shard", "merge"}
    shard = jobs["shard"]
    assert shard["needs"] == "plan"
    assert shard["strategy"]["fail-fast"] is False
    assert shard["strategy"]["matrix"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"
    assert jobs["plan"]["outputs"]["matrix"] == "${{ steps.plan.outputs.matrix }}"
    upload = next(s for s in shard["steps"] if s.get("uses", "").startswith("actions/upload-artifact"))
    assert upload["if"] == "always()" and upload["with"]["path"] == "results/shard"
    merge = jobs["merge"]
    assert "always()" in merge["if"] and set(merge["needs"]) == {"plan", "shard"}
    assert any("actions/cache" in s.get("uses", "") for s in shard["steps"])
    got = suite_commands(github_lines(doc), doc["env"])
    by = {a.command: a for a in got}
    assert set(by) == {"plan", "run", "merge"}
    assert by["plan"].shards == 3 and by["plan"].matrix
    assert by["run"].shard == (2, 3) and by["run"].matrix and by["run"].jobs == 2
    assert by["run"].results == "results/shard" and by["run"].plan == EXPRESSIONS["matrix.plan"]
    assert by["merge"].kcidb and by["merge"].shards == ["shards/shard-*"]


def test_the_gitlab_pipeline():
    doc = load(GITLAB)
    assert doc["stages"] == ["plan", "shard", "merge"]
    shard, merge = doc["shard"], doc["merge"]
    assert shard["parallel"] == int(doc["variables"]["SHARDS"])
    assert shard["artifacts"]["when"] == "always"
    assert merge["when"] == "always" and merge["artifacts"]["reports"]["junit"] == \
        "results/merged/junit.xml"
    assert ".ubc-cache/" in doc["default"]["cache"]["paths"]
    got = suite_commands(gitlab_lines(doc), doc["variables"])
    by = {a.command: a for a in got}
    assert set(by) == {"plan", "run", "merge"}
    assert by["run"].shard == (2, 3) and by["run"].plan == "plan.json"
    assert by["merge"].shards == ["results/shard-*"]


def test_the_matrix_entries_have_what_the_workflow_uses(capsys):
    used = set(re.findall(r"matrix\.(\w+)", GITHUB.read_text()))
    assert cli.main(["plan", "--shards", "2", "clone*", "provide*"]) == 0
    entry = json.loads(capsys.readouterr().out)["include"][0]
    assert used <= set(entry), used - set(entry)


def test_a_bad_command_in_a_recipe_would_fail_here():
    with pytest.raises(Exception, match="--shard"):
        suite_commands(["./run_tests.sh --matrix --shard 4/3"], {})
    with pytest.raises(AssertionError, match="not one of the suite's commands"):
        suite_commands(["python3 -m runner merge x"], {})
