"""Saving a configuration file, and SIGTERM.

A service's SIGTERM handler raises SystemExit (``sys.exit``). buggy_save
truncates the file, then writes it: SIGTERM in between leaves an empty
file, and the next start reads a broken configuration.

save writes a temporary file beside it and ``os.replace``-s it over the old
one: a reader sees the old file or the new one, never part of either.
"""

from __future__ import annotations

import os


def buggy_save(path: str, settings: dict[str, str]) -> None:
    lines = [f"{key} = {value}\n" for key, value in settings.items()]
    with open(path, "w") as out:  # truncates the old file
        out.writelines(lines)  # <- unsafe: SIGTERM here leaves an empty file


def save(path: str, settings: dict[str, str]) -> None:
    lines = [f"{key} = {value}\n" for key, value in settings.items()]
    partial = f"{path}.partial"
    try:
        with open(partial, "w") as out:
            out.writelines(lines)
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
