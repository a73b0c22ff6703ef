"""Options.host_jobs_for: the host run's cases at once (runner/kernel/host.py)."""
from types import SimpleNamespace

from runner.run.kernel_run import Options


def test_twice_the_cpus_by_default():
    assert Options(smp=2).host_jobs_for(None) == 4


def test_one_cpu_stays_one_at_a_time():
    assert Options(smp=1).host_jobs_for(None) == 1


def test_what_the_sink_asks_for_is_kept():
    # A taint change's re-run asks for one at a time; a number asked for is kept as it is.
    assert Options(smp=2).host_jobs_for(SimpleNamespace(jobs=1)) == 1
    assert Options(smp=2).host_jobs_for(SimpleNamespace(jobs=3)) == 3


def test_a_set_number_is_kept():
    assert Options(smp=2, guest_jobs=2).host_jobs_for(None) == 2
