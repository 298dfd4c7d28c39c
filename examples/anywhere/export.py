"""A command-line tool that writes its output file, and Ctrl-C.

``python export.py SRC DST`` writes DST, one line per line of SRC, upper-cased.
``--buggy`` writes DST in place, line by line: a Ctrl-C halfway leaves a
partial DST that the next step of a pipeline takes for a whole one.

The fixed version writes a temporary file beside DST and ``os.replace``-s it
over DST at the end: DST is the whole output or is not there, and the
temporary file is gone either way.
"""

from __future__ import annotations

import os
import sys


def buggy_export(src: str, dst: str) -> None:
    with open(src) as lines:
        records = lines.readlines()
    with open(dst, "w") as out:  # DST exists, empty, from here on
        out.writelines(record.upper() for record in records)  # <- unsafe: Ctrl-C here leaves part of it


def export(src: str, dst: str) -> None:
    partial = f"{dst}.partial"
    try:
        with open(src) as lines:
            records = lines.readlines()
        with open(partial, "w") as out:
            out.writelines(record.upper() for record in records)
        os.replace(partial, dst)  # all at once: DST is whole, or not there
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


def main(argv: list[str]) -> int:
    buggy = argv[:1] == ["--buggy"]
    src, dst = argv[1:] if buggy else argv
    (buggy_export if buggy else export)(src, dst)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
