"""The private channel from an instrumented child to the test process.

One message per line, fields separated by US (0x1f); free text has both
separators replaced. A line is far below PIPE_BUF, so writes from several
threads of the child never interleave.
"""

SEP = "\x1f"

# How the test process and a child's instrumentation find each other. (Here,
# not in the child module: the test process must never import that one, which
# captures the signal functions at import.)
CHANNEL_FD = 3
ENV_CHANNEL = "PYTEST_SIGNALS_CHANNEL"
ENV_BOOT = "PYTEST_SIGNALS_BOOT"
ENV_PYTHONPATH = "PYTEST_SIGNALS_PYTHONPATH"
ENV_MODULE = "PYTEST_SIGNALS_MODULE"
ENV_FUNCTION = "PYTEST_SIGNALS_FUNCTION"
PRIVATE_NAME = "__pytest_signals_child__"

# Message types.
EVENT = "E"  # a log event: time, kind, signal, thread, handler, task, detail, message, ended
READY = "R"  # instrumentation is in place
STARTED = "S"  # the target was found and is about to run
FAILED = "F"  # the target could not be found or imported: detail
IGNORED = "I"  # signals that were SIG_IGN at start: detail = comma-separated numbers
DISPOSITION = "D"  # a disposition changed: signal, "ign" | "dfl" | "handler"


def clean(text: object) -> str:
    return str(text).replace(SEP, " ").replace("\n", " ")


def optional(text: "str | None") -> str:
    """A field that may be None: "" for None, "=" and the text otherwise."""
    return "" if text is None else "=" + text


def parse_optional(field: str) -> "str | None":
    return field[1:] if field else None


def encode(kind: str, *fields: object) -> bytes:
    return (SEP.join([kind, *(clean("" if f is None else f) for f in fields)]) + "\n").encode("utf-8", "replace")


def decode(line: bytes) -> list[str]:
    return line.decode("utf-8", "replace").rstrip("\n").split(SEP)
