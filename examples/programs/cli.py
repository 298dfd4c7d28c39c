"""A command-line tool that says goodbye and exits 130 on Ctrl-C."""

import sys
import time


def main() -> int:
    try:
        print("Working... (Ctrl-C to stop)", flush=True)
        while True:
            time.sleep(0.1)  # the tool's own work
    except KeyboardInterrupt:
        print("\nInterrupted, cleaning up.", flush=True)
        return 130


if __name__ == "__main__":
    sys.exit(main())
