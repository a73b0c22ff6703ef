"""The console reader: one streaming parser of a console (or a saved log) that turns the
KTAP of runner/guest/run-cases.sh and the kernel's messages around it into one typed result
tree (model.py). parser.py reads the top level, case.py one case's nested KTAP, kmsg.py the
kernel's messages (events, excerpts). Nothing here knows how the console was obtained."""
from runner.ktap.model import CaseResult, ConsoleRun, KernelEvent, SubResult, end_reason
from runner.ktap.parser import GUEST_ALIVE, GUEST_DONE, ConsoleParser, parse_console
from runner.ktap.kmsg import clean, event_kind, LINE_LIMIT

__all__ = ["CaseResult", "ConsoleRun", "KernelEvent", "SubResult", "end_reason", "GUEST_ALIVE",
           "GUEST_DONE", "ConsoleParser", "parse_console", "clean", "event_kind", "LINE_LIMIT"]
