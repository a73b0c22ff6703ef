"""summary.json's format is defined once (runner/report/summary.py FORMAT) and documented
from it: docs/outputs.md's block must be exactly format_lines()."""
from pathlib import Path

from runner.report.summary import format_lines

DOC = Path(__file__).resolve().parents[3] / "docs" / "outputs.md"


def test_the_documented_format_is_the_code_s():
    text = DOC.read_text()
    block = text.split("## The format of summary.json", 1)[1].split("```", 2)[1].strip("\n")
    assert block.splitlines() == format_lines()
