"""Issue 23: with -j N the matrix boots the kernels that cost most first (6.1: its delayed tag
work makes it ~2.5x 7.3), so N boots at once finish close to the total divided by N."""
from types import SimpleNamespace

from runner.commands.run import longest_first
from runner.run.preflight import select_cases

SPECS = ["host", "6.12", "7.3", "6.1"]
CASES = select_cases([])  # the default run: every case


def args(jobs):
    return SimpleNamespace(jobs=jobs, durations=None)


def test_parallel_runs_start_with_the_longest_kernel():
    order = longest_first(SPECS, CASES, args(2))
    assert order[0] == "6.1" and sorted(order) == sorted(SPECS)
    assert order.index("host") == len(order) - 1  # no boot: the cheapest


def test_one_at_a_time_keeps_the_order_asked_for():
    assert longest_first(SPECS, CASES, args(1)) == SPECS
