"""wordcount: count the words on each line of its input and write the counts
to OUTPUT. The file appears whole or not at all: Ctrl-C (or SIGTERM) leaves
nothing behind, not even a half-written temporary file."""

import argparse
import os
import signal
import sys
import tempfile


def on_sigterm(signum, frame):
    raise KeyboardInterrupt  # a service manager's stop is a Ctrl-C here


def main(argv=None, lines=None) -> int:
    parser = argparse.ArgumentParser(prog="wordcount")
    parser.add_argument("output")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, on_sigterm)
    lines = sys.stdin if lines is None else lines
    fd, partial = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(args.output)), prefix=".wordcount-")
    try:
        with os.fdopen(fd, "w") as out:
            print("counting (Ctrl-C to stop)", flush=True)
            for number, line in enumerate(lines, 1):
                words = len(line.split())
                out.write(f"{number} {words}\n")
                print(f"line {number}: {words} words", flush=True)
        os.replace(partial, args.output)  # all or nothing
    except KeyboardInterrupt:
        os.unlink(partial)
        print("interrupted: nothing written", file=sys.stderr, flush=True)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
