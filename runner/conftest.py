"""Loads the kernel-matrix plugin (runner/plugin.py) for pytest runs under runner/.
Without --kernel it adds only its options; `pytest runner/tests` is unaffected."""
from runner.plugin import (pytest_addoption, pytest_collect_file,  # noqa: F401
                           pytest_collection_finish, pytest_configure, pytest_sessionfinish,
                           pytest_terminal_summary)
