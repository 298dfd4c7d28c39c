"""The private channel from an instrumented child to the test process.

One message per line, each field (the first one too) led by US (0x1f); free
text has both separators replaced. A line is far below PIPE_BUF, so writes
from several threads of the child never interleave.

The channel also carries one thing that is not a message: the Python stacks
that faulthandler writes when the test side asks a stuck child for them
(``_children/stacks.py``). faulthandler writes them with many small writes,
from a signal handler, so a message from another thread can land in the
middle of a stack line. It can never be mistaken for one: faulthandler
escapes every control character, so a US starts a message and nothing else,
and the message runs to the end of its line. :func:`split` takes a stream
apart into the two.
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
ENV_PATH = "PYTEST_SIGNALS_PATH"  # the test process's sys.path (encode_paths)
ENV_DESCENDANTS = "PYTEST_SIGNALS_DESCENDANTS"  # set: carry the instrumentation across exec (exec_hook.py)
ENV_PARENT = "PYTEST_SIGNALS_PARENT"  # an exec'd descendant's parent pid
ENV_ANYWHERE = "PYTEST_SIGNALS_ANYWHERE"  # one signal_anywhere run's request (_remote/anywhere_child.py)
PRIVATE_NAME = "__pytest_signals_child__"

# Message types.
EVENT = "E"  # a log event: time, kind, signal, thread, handler, task, detail, message, ended
READY = "R"  # instrumentation is in place: the channel's fd, the stack signal ("" without one)
STARTED = "S"  # the target was found and is about to run
FAILED = "F"  # the target could not be found or imported: detail
IGNORED = "I"  # signals that were SIG_IGN at start: detail = comma-separated numbers
DISPOSITION = "D"  # a disposition changed: signal, "ign" | "dfl" | "handler" | "plugin" (an inner
# pytest-signals' own stand-in, its guard: the kernel runs a handler, but not one the program wrote)
TOP_LEVEL_INTERRUPT = "K"  # the interpreter's top level printed an uncaught KeyboardInterrupt: time, thread
# A process of the child's tree reported in: a fork of an instrumented process
# took the instrumentation over, or a Python process one of them started by
# exec bootstrapped. Its first message, before any other it sends: time, its
# parent's pid, thread, and "exec" for one started by exec.
JOINED = "J"
# signal_anywhere in a child (_remote/anywhere_child.py): a point the counting
# run found (file, the first line of its code, code name, qualified name,
# line), and the aimed run's point reached ("handler", "default", "ignored"
# or "blocked": how the signal met it).
POINT = "P"
AIMED = "A"
# The counting run's within= returned (its outermost call), after the points
# reported so far: points reported after the last of these were not confirmed
# (the program closed the channel, or ended inside within=).
WITHIN_LEFT = "W"


def clean(text: object) -> str:
    return str(text).replace(SEP, " ").replace("\n", " ")


def optional(text: "str | None") -> str:
    """A field that may be None: "" for None, "=" and the text otherwise."""
    return "" if text is None else "=" + text


def parse_optional(field: str) -> "str | None":
    return field[1:] if field else None


def encode(kind: str, *fields: object) -> bytes:
    return ("".join(SEP + clean("" if f is None else f) for f in (kind, *fields)) + "\n").encode("utf-8", "replace")


def decode(line: bytes) -> list[str]:
    """The fields of one message (a line from :func:`split`)."""
    return line.decode("utf-8", "replace").rstrip("\n").split(SEP)[1:]


_SEP_BYTE = SEP.encode()


def split(data: bytes) -> "tuple[list[bytes], bytes, bytes]":
    """Take *data* from the channel apart: ``(messages, stack text, rest)``.
    *rest* is a message not complete yet: hand it back, with what follows."""
    messages: list[bytes] = []
    text = bytearray()
    start = 0
    while True:
        lead = data.find(_SEP_BYTE, start)
        if lead < 0:
            text += data[start:]
            return messages, bytes(text), b""
        text += data[start:lead]
        end = data.find(b"\n", lead)
        if end < 0:
            return messages, bytes(text), data[lead:]
        messages.append(data[lead : end + 1])
        start = end + 1


def encode_paths(paths: "list[str]") -> str:
    """A list of paths as one environment variable: each as its length, ":"
    and itself (a path may hold any character but NUL, os.pathsep included)."""
    return "".join(f"{len(p)}:{p}" for p in paths)


def decode_paths(text: str) -> "list[str]":
    paths, at = [], 0
    while at < len(text):
        colon = text.index(":", at)
        size = int(text[at:colon])
        paths.append(text[colon + 1 : colon + 1 + size])
        at = colon + 1 + size
    return paths
