"""signal.getsignal over every signal number, gaps included: prints one line
per number, "number name disposition"."""

import signal


def on_usr1(signum, frame):
    pass


def describe(handler):
    if handler is signal.SIG_DFL:
        return "SIG_DFL"
    if handler is signal.SIG_IGN:
        return "SIG_IGN"
    if handler is signal.default_int_handler:
        return "default_int_handler"
    if handler is None:
        return "None"  # not installed from Python (the C library reserves these numbers)
    return f"handler:{handler.__name__}"


def name(number):
    try:
        return signal.Signals(number).name
    except ValueError:  # real-time signals above SIGRTMIN have no name of their own
        return f"SIGRTMIN+{number - signal.SIGRTMIN}" if hasattr(signal, "SIGRTMIN") else "-"


signal.signal(signal.SIGUSR1, on_usr1)
signal.signal(signal.SIGHUP, signal.SIG_IGN)
valid = signal.valid_signals()
for number in range(1, signal.NSIG):
    label = name(number) if number in valid else "(not a valid signal)"
    print(number, label, describe(signal.getsignal(number)))
