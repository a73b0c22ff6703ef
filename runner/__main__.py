"""python3 -m runner: the suite's one command line (runner/cli.py); ./run_tests.sh runs it."""
import sys

from .cli import main

sys.exit(main())
