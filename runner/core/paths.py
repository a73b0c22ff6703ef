"""Where the suite's own files are: the project root, the guest half of the console protocol
(runner/guest: the initramfs's init and run-cases.sh), expected/, the cases and their groups."""
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
GUEST = TOP / "runner" / "guest"
RUN_CASES = GUEST / "run-cases.sh"
EXPECTED = TOP / "expected"
CASES = TOP / "cases"


def case_groups(cases_dir: Path = CASES) -> dict[str, str]:
    """case -> its group: the cases/<group>/ folder its source is in."""
    return {p.stem: p.parent.name for p in sorted(Path(cases_dir).glob("*/*.c"))}
