"""``expect`` and its family, over a child's :class:`~.output.Output`: one
bounded wait on the watcher, then what to say when nothing matched (the
pattern appeared before the previous match; nothing reached stdout, so a
pipe's block buffering is the likely cause)."""

from __future__ import annotations

import re
from typing import NamedTuple

from .output import Found
from .watch import ChildState, ChildWatch


class Expected(NamedTuple):
    """What :meth:`SpawnedProcess.expect_any` found: which pattern, and its match."""

    which: int  # the index of the pattern that matched
    match: re.Match[str]


def search(
    watch: ChildWatch,
    mode: str,
    regexes: list[re.Pattern[str]],
    count: int,
    bound: float,
    names: dict[re.Pattern[str], str] | None,
    pid: int,
    buffering_hint: bool,
) -> tuple[Found, ...] | str:
    """Wait up to *bound* for *regexes* after the cursor (*mode*: ``any``,
    ``all`` or ``count``); the result, or the failure message."""

    def describe(regex: re.Pattern[str]) -> str:
        return (names or {}).get(regex) or repr(regex.pattern)

    with watch.read() as state:
        output = state.output
        if mode == "all":
            running = output.search_all(regexes)
        elif mode == "count":
            running = output.search_count(regexes[0], count)
        else:
            running = output.search_any(regexes)

    def matched(state: ChildState) -> bool:
        return running.poll() is not None or state.drained

    watch.wait_until(matched, bound)
    with watch.read() as state:
        result = running.final()
        if result is not None:
            return result
        ended = state.ended
        printed = state.output.length("stdout") > 0
        missing = running.missing
        counted = running.counted
        earlier = [(p, output.find_before_cursor(p)) for p in missing]
        cursor = output.cursor
    wanted = " and ".join(map(describe, missing)) if mode == "all" else " or ".join(map(describe, regexes))
    if mode == "count":
        wanted = f"{count} matches of {wanted} (found {counted})"
    lines = [f"expected {wanted} in the output of pid {pid}; " + ("it exited first" if ended else f"waited {bound:g}s")]
    for regex, found in earlier:
        if found is not None:
            lines.append(
                f"{describe(regex)} did appear, at byte {found.start}, but before the previous match "
                f"ended (byte {cursor}): expect() looks only after it"
            )
    if buffering_hint and not printed:
        lines.append(
            "(nothing on stdout yet: a pipe makes Python block-buffer it: print(..., flush=True), "
            "env={'PYTHONUNBUFFERED': '1'} or tty=True)"
        )
    return "\n".join(lines)


def pattern_of(pattern: object) -> re.Pattern[str]:
    if isinstance(pattern, re.Pattern):
        if not isinstance(pattern.pattern, str):
            raise TypeError(f"expect() takes str patterns (the output is decoded text), got {pattern!r}")
        return pattern
    if isinstance(pattern, str):
        return re.compile(pattern)
    if isinstance(pattern, (list, tuple)):
        raise TypeError(f"expect() takes one pattern; for any of several use expect_any({pattern!r})")
    raise TypeError(f"expect() takes a str or a compiled str pattern, got {pattern!r}")


def patterns_of(patterns: object) -> list[object]:
    if isinstance(patterns, (str, re.Pattern)) or not isinstance(patterns, (list, tuple)) or not patterns:
        raise TypeError(f"expected a non-empty list of patterns, got {patterns!r}")
    return list(patterns)
