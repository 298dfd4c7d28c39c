"""One spawned child's output: one bounded copy, a byte cursor, linear matching.

Why it works this way:

* **One copy.** The output is kept once, as the byte stream in the order it
  arrived (the ``"output"`` view). The ``"stdout"`` and ``"stderr"`` views are
  rebuilt from a list of segments: one start offset (an ``array``) and one
  stream code (a ``bytearray``) per change of stream, so a child that writes
  only to stdout has one segment whatever it writes.
* **Bounded memory.** Once the stream would pass ``memory`` bytes, it moves to
  an anonymous temporary file (``tempfile.TemporaryFile``: unlinked at once,
  gone when closed) and everything after it is appended there. The views and
  the matching read it back. What is kept in memory is then the segment list.
  A search still holds the text it searches while it runs: at most the new
  data and the look-back for a window, the whole unmatched range for a full
  search (see below).
* **A byte cursor.** Matching decodes with ``errors="surrogateescape"``, which
  round-trips exactly, so a match's end maps back to the byte it ends at; the
  cursor never drifts past output that follows bytes that are not UTF-8. In
  the matched text each such byte reads as U+FFFD, one per byte (a lone
  surrogate would make ``print(match.group())`` raise). The views decode with
  ``errors="replace"``. A character whose bytes have not all arrived is left
  for the next search (the final check takes it as it is).
* **Linear matching.** A search that rescans everything unmatched on every
  read is quadratic. When new data arrived, a search covers only the new data
  and :data:`LOOKBACK` bytes before it (plus 1 KiB of context before the
  window, for ``^``, ``\\b`` and lookbehinds, not searched). The whole unmatched
  range is searched again only when it has doubled since the last full
  search, and once more, exactly, before the caller declares failure. No match
  is missed and the total work is linear: each check costs the new data plus
  at most the look-back, and the full searches add up to at most twice the
  data. The one consequence: a match that spans more than the look-back (its
  own text, plus what a lookahead needs) is not seen by a window; it is found
  at the next full search, and then it is the leftmost one. Until then a
  window may return a later match.
* **No threads, no locks.** The child's watcher holds its own lock around
  every call; nothing here knows about processes.

Rejected: keeping the decoded text as data arrives (a second copy, up to four
bytes a character); matching bytes with bytes patterns (the patterns are
``str``: ``.``, ``\\w`` and ``re.IGNORECASE`` differ over multibyte
characters); an ``mmap`` of the spilled file (its pages count as the
process's memory all the same, and a ``str`` pattern needs decoded text).
"""

from __future__ import annotations

import codecs
import re
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, Literal

_Mode = Literal["any", "all", "count"]

Stream = Literal["stdout", "stderr", "terminal"]
"""Where a piece of output came from. A terminal carries stdout and stderr both."""

View = Literal["stdout", "stderr", "output"]
"""``"output"``: everything interleaved as it arrived; ``"stdout"``: stdout and
the terminal's output; ``"stderr"``: stderr."""

LOOKBACK = 64 * 1024
"""Bytes before the new data that a window search covers."""

_CONTEXT = 1024  # decoded before a window (never before the search's origin), not searched
_STREAMS: dict[str, int] = {"stdout": 0, "stderr": 1, "terminal": 2}
_VIEW_CODES: dict[str, tuple[int, ...]] = {"stdout": (0, 2), "stderr": (1,)}
_ESCAPED = re.compile("[\udc80-\udcff]")


@dataclass(frozen=True)
class Found:
    """One match in the output.

    ``match`` is the ``re.Match``; its positions index ``match.string``, which
    is the piece of the output that was searched, not the whole output: use
    ``start`` and ``end`` (byte offsets in the ``"output"`` view) to place it.
    ``pattern`` is the index of the pattern that matched, in the order given.
    """

    pattern: int
    match: re.Match[str]
    start: int
    end: int


class Output:
    """The output of one child: appended to by its watcher, matched by the test.

    Not thread-safe by design: the caller holds its lock around every call.

    Args:
        memory: bytes kept in memory; above it the output moves to an
            anonymous temporary file. ``0`` keeps nothing in memory.
        lookback: bytes before new data that a window search covers
            (see the module's docstring).

    The cursor is a byte offset in the ``"output"`` view: searches look at
    the output from there on and move it past what they matched.
    """

    def __init__(self, memory: int, *, lookback: int = LOOKBACK) -> None:
        if memory < 0:
            raise ValueError(f"memory={memory!r} must be 0 or more bytes")
        if lookback < 0:
            raise ValueError(f"lookback={lookback!r} must be 0 or more bytes")
        self.memory = memory
        self.lookback = lookback
        self.decoded_bytes = 0
        """Bytes decoded for matching so far: the work a test can count."""
        self.spill_error: OSError | None = None
        """Why the temporary file could not be created (the output then stays in memory)."""
        self._buffer = bytearray()
        self._file: IO[bytes] | None = None
        self._closed = False
        self._size = 0
        self._cursor = 0
        self._starts = array("q")
        self._codes = bytearray()
        self._lengths = [0, 0, 0]

    def __repr__(self) -> str:
        where = "in a temporary file" if self._file is not None else "in memory"
        return f"<Output {self._size} bytes {where}, cursor at {self._cursor}>"

    # -- appending -------------------------------------------------------------------

    def append(self, stream: Stream, data: bytes) -> None:
        """Add *data* that the child wrote to *stream*.

        Raises:
            ValueError: an unknown stream, or the output was closed.
        """
        code = _STREAMS.get(stream)
        if code is None:
            raise ValueError(f"stream={stream!r} is not one of {', '.join(_STREAMS)}")
        self._check_open()
        if not data:
            return
        if self._file is None and self.spill_error is None and len(self._buffer) + len(data) > self.memory:
            self._spill()
        if self._file is None:
            self._buffer += data
        else:
            self._file.seek(self._size)  # over whatever a failed write left
            self._file.write(data)
        if not self._codes or self._codes[-1] != code:
            self._starts.append(self._size)
            self._codes.append(code)
        self._size += len(data)
        self._lengths[code] += len(data)

    def _spill(self) -> None:
        import tempfile
        import weakref

        file = None
        try:
            file = tempfile.TemporaryFile(prefix="pytest-signals-output-")  # noqa: SIM115 - closed by close() or finalize
            file.write(self._buffer)
        except OSError as exc:  # no temporary directory, or no room in it: stay in memory
            if file is not None:
                file.close()
            self.spill_error = exc
            return
        self._buffer = bytearray()
        self._file = file
        # Closed when this object goes, without the ResourceWarning of a file
        # collected open (an error under filterwarnings=error).
        weakref.finalize(self, file.close)

    def close(self) -> None:
        """Drop the output and close the temporary file. Safe to call twice;
        any other use afterwards raises ValueError."""
        self._closed = True
        self._buffer = bytearray()
        if self._file is not None:
            self._file.close()
            self._file = None

    # -- reading -----------------------------------------------------------------

    @property
    def size(self) -> int:
        """Bytes in the ``"output"`` view."""
        return self._size

    @property
    def cursor(self) -> int:
        """Byte offset in the ``"output"`` view where the next search starts."""
        return self._cursor

    @property
    def spilled(self) -> bool:
        """True once the output lives in the temporary file."""
        return self._file is not None

    def length(self, view: View = "output") -> int:
        """Bytes in *view*; ``length("stdout") == 0`` means the child printed nothing there."""
        if view == "output":
            return self._size
        return sum(self._lengths[code] for code in _view_codes(view))

    def text(self, view: View = "output") -> str:
        """*view* decoded for people (``errors="replace"``)."""
        self._check_open()
        if view == "output":
            if self._file is None:
                return self._buffer.decode("utf-8", "replace")
            return self._read(0, self._size).decode("utf-8", "replace")
        codes = _view_codes(view)
        ranges = [(start, end) for start, end, code in self._segments() if code in codes]
        if self._file is None:
            with memoryview(self._buffer) as whole:
                pieces = [whole[start:end] for start, end in ranges]
                try:
                    joined = b"".join(pieces)
                finally:
                    for piece in pieces:
                        piece.release()
        else:
            joined = b"".join(self._read(start, end) for start, end in ranges)
        return joined.decode("utf-8", "replace")

    def tail(self, chars: int) -> str:
        """The last *chars* characters of the ``"output"`` view, decoded for people,
        reading only the end of it."""
        self._check_open()
        if chars <= 0:
            return ""
        start = self._align(max(0, self._size - 4 * chars), 0)
        return self._read(start, self._size).decode("utf-8", "replace")[-chars:]

    def _segments(self) -> list[tuple[int, int, int]]:
        ends = [*self._starts[1:], self._size]
        return list(zip(self._starts, ends, self._codes, strict=True))

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError("the output was closed")

    def _read(self, start: int, end: int) -> bytes | bytearray:
        if self._file is None:
            return self._buffer[start:end]
        self._file.seek(start)
        return self._file.read(end - start)

    def _decode(self, start: int, end: int, final: bool) -> tuple[str, int, bool]:
        """Bytes *start* to *end* decoded for matching: (text, bytes used, whether
        any byte was escaped). Unless *final*, an incomplete last character is
        left out. *start* must begin a character."""
        self.decoded_bytes += end - start
        if self._file is None:
            with memoryview(self._buffer) as whole, whole[start:end] as piece:
                return _decode(piece, final)
        self._file.seek(start)
        return _decode(self._file.read(end - start), final)

    def _align(self, at: int, floor: int) -> int:
        """A character boundary at or a few bytes before byte *at* (never before
        *floor*, a boundary). A byte that is not a continuation byte always
        starts a character, or stands alone: a decoder never takes it into the
        sequence before it, whatever it was decoding."""
        if at <= floor or at >= self._size:
            return max(at, floor)
        low = max(floor, at - 3)
        head = self._read(low, at + 1)
        for back in range(at - low, -1, -1):
            if not _is_continuation(head[back]):
                return low + back
        return at  # four continuation bytes: each stands alone

    # -- matching -------------------------------------------------------------------

    def search_any(self, patterns: Sequence[re.Pattern[str]]) -> OutputSearch:
        """The first match of any of *patterns* after the cursor: the leftmost
        wins, a tie goes to the earlier pattern. The result has one
        :class:`Found`, and the cursor moves to its end."""
        return OutputSearch(self, patterns, "any", 1)

    def search_all(self, patterns: Sequence[re.Pattern[str]]) -> OutputSearch:
        """Every one of *patterns* after the cursor, in any order: each pattern's
        first match, found independently (two patterns may match the same
        text). The result has one :class:`Found` per pattern, in the order
        given, and the cursor moves to the end of the one that ends last."""
        return OutputSearch(self, patterns, "all", len(patterns))

    def search_count(self, pattern: re.Pattern[str], count: int) -> OutputSearch:
        """*count* non-overlapping matches of *pattern* after the cursor, as
        ``finditer`` finds them (after an empty match the next starts a
        character later). The result has *count* :class:`Found` in order, and
        the cursor moves to the end of the last."""
        if count < 1:
            raise ValueError(f"count={count!r} must be at least 1")
        return OutputSearch(self, [pattern], "count", count)

    def find_before_cursor(self, pattern: re.Pattern[str]) -> Found | None:
        """The last match of *pattern* that starts before the cursor, for a
        failure message ("it appeared at byte N, before the previous match
        ended at byte M"), or None. Looks back at most ``max(memory, lookback)``
        bytes before the cursor."""
        self._check_open()
        _check_patterns([pattern])
        cursor = self._cursor
        if cursor == 0:
            return None
        low = self._align(max(0, cursor - max(self.memory, self.lookback)), 0)
        before, _, escaped_before = self._decode(low, cursor, True)
        after, _, escaped_after = self._decode(cursor, self._size, True)
        exact = before + after
        shown = _shown(exact, escaped_before or escaped_after)
        last = None
        for match in pattern.finditer(shown):
            if match.start() >= len(before):
                break
            last = match
        if last is None:
            return None
        offsets = _Offsets(exact, 0, low)
        return Found(0, last, offsets.byte(last.start()), offsets.byte(last.end()))

    def _advance(self, to: int) -> None:
        self._cursor = max(self._cursor, to)


class OutputSearch:
    """A search of an :class:`Output`, from its cursor, that goes on as data
    arrives. Made by ``Output.search_any``, ``search_all`` or ``search_count``.

    The caller, holding its lock:

    * calls :meth:`poll` when new data may have arrived (at once, and after
      each wake-up: it costs nothing when nothing arrived);
    * calls :meth:`final` once before it declares failure (the child exited
      and its output was drained, or the time is up): the one exact search.

    Both return the result (a tuple of :class:`Found`) or None; once there is
    a result both return it again, and the cursor has moved exactly once. A
    search whose cursor another search moved starts again from the new cursor.
    """

    def __init__(self, output: Output, patterns: Sequence[re.Pattern[str]], mode: _Mode, count: int) -> None:
        _check_patterns(patterns)
        if not patterns:
            raise ValueError("no pattern to search for")
        output._check_open()
        self._output = output
        self._patterns = tuple(patterns)
        self._mode = mode
        self._count = count
        self.result: tuple[Found, ...] | None = None
        self._restart()

    def _restart(self) -> None:
        cursor = self._output.cursor
        self._origin = cursor  # where the searched text begins: ^ and \A match here
        self._start = cursor  # where the next match is sought
        self._scanned = cursor  # the complete text up to here has been searched
        self._seen = -1  # the output's size at the last search: -1, never searched
        self._full = 0  # the range's length at the last full search
        self._found: dict[int, Found] = {}  # all: by pattern; count: in order

    def poll(self) -> tuple[Found, ...] | None:
        """Search what arrived since the last call (see the class's docstring)."""
        if self.result is not None:
            return self.result
        output = self._output
        output._check_open()
        if output.cursor != self._origin:
            self._restart()
        if output.size == self._seen:
            return None
        full = output.size - self._start >= 2 * self._full
        window = self._start if full else max(self._start, self._scanned - output.lookback)
        return self._search(window, full, final=False)

    def final(self) -> tuple[Found, ...] | None:
        """One exact search of everything from the cursor (or from the last
        counted match) to the end, an incomplete last character included."""
        if self.result is not None:
            return self.result
        output = self._output
        output._check_open()
        if output.cursor != self._origin:
            self._restart()
        return self._search(self._start, True, final=True)

    @property
    def missing(self) -> tuple[re.Pattern[str], ...]:
        """The patterns not found yet (for ``search_count``, the one pattern
        until the count is reached)."""
        if self.result is not None:
            return ()
        if self._mode == "all":
            return tuple(p for i, p in enumerate(self._patterns) if i not in self._found)
        return self._patterns

    @property
    def counted(self) -> int:
        """How many matches ``search_count`` has found so far."""
        return len(self._found) if self._mode == "count" else 0

    def _search(self, window: int, full: bool, final: bool) -> tuple[Found, ...] | None:
        output = self._output
        size = output.size
        window = output._align(window, self._origin)
        context = output._align(max(self._origin, window - _CONTEXT), self._origin)
        before, _, escaped_before = output._decode(context, window, True)
        body, used, escaped_body = output._decode(window, size, final)
        exact = before + body
        shown = _shown(exact, escaped_before or escaped_body)
        offsets = _Offsets(exact, len(before), window)
        end = window + used
        self._seen = size
        self._scanned = end
        if self._mode == "any":
            result = self._any(shown, len(before), offsets)
        elif self._mode == "all":
            result = self._all(shown, len(before), offsets)
        else:
            result = self._counting(shown, len(before), offsets, end)
            full = full or self._start > window  # searched from its last match to the end
        if result is not None:
            self.result = result
            output._advance(max(found.end for found in result))
            return result
        if full:
            self._full = end - self._start
        return None

    def _any(self, shown: str, at: int, offsets: _Offsets) -> tuple[Found, ...] | None:
        best: tuple[int, int, re.Match[str]] | None = None
        for index, pattern in enumerate(self._patterns):
            match = pattern.search(shown, at)
            if match is not None and (best is None or match.start() < best[0]):
                best = (match.start(), index, match)
        if best is None:
            return None
        _, index, match = best
        return (Found(index, match, offsets.byte(match.start()), offsets.byte(match.end())),)

    def _all(self, shown: str, at: int, offsets: _Offsets) -> tuple[Found, ...] | None:
        hits = []
        for index, pattern in enumerate(self._patterns):
            if index not in self._found:
                match = pattern.search(shown, at)
                if match is not None:
                    hits.append((match.start(), index, match))
        for _, index, match in sorted(hits, key=lambda hit: hit[:2]):  # offsets are read in order
            self._found[index] = Found(index, match, offsets.byte(match.start()), offsets.byte(match.end()))
        if len(self._found) < len(self._patterns):
            return None
        return tuple(self._found[index] for index in range(len(self._patterns)))

    def _counting(self, shown: str, at: int, offsets: _Offsets, end: int) -> tuple[Found, ...] | None:
        pattern = self._patterns[0]
        while len(self._found) < self._count:
            match = pattern.search(shown, at)
            if match is None:
                break
            found = Found(0, match, offsets.byte(match.start()), offsets.byte(match.end()))
            self._found[len(self._found)] = found
            at = match.end() if match.end() > match.start() else match.end() + 1
            if at > len(shown):
                self._start = end
                break
            self._start = offsets.byte(at)
        if len(self._found) < self._count:
            return None
        return tuple(self._found[index] for index in range(self._count))


class _Offsets:
    """Byte offsets of positions (at or after *at*, which is byte *byte*) in
    decoded text; cheapest when read in increasing order."""

    def __init__(self, exact: str, at: int, byte: int) -> None:
        self._exact = exact
        self._ascii = exact.isascii()  # O(1): then a character is a byte
        self._anchor = (at, byte)
        self._at, self._byte = at, byte

    def byte(self, position: int) -> int:
        if self._ascii:
            return self._anchor[1] + position - self._anchor[0]
        if position < self._at:
            self._at, self._byte = self._anchor
        self._byte += _width_of(self._exact[self._at : position])
        self._at = position
        return self._byte


def _decode(data: bytes | memoryview, final: bool) -> tuple[str, int, bool]:
    try:
        text, used = codecs.utf_8_decode(data, "strict", final)
        return text, used, False
    except UnicodeDecodeError:
        text, used = codecs.utf_8_decode(data, "surrogateescape", final)
        return text, used, True


def _shown(exact: str, escaped: bool) -> str:
    """The text patterns see: an escaped byte reads as U+FFFD (same length)."""
    return _ESCAPED.sub("\ufffd", exact) if escaped else exact


def _width_of(text: str) -> int:
    return len(text.encode("utf-8", "surrogateescape"))


def _is_continuation(byte: int) -> bool:
    return 0x80 <= byte <= 0xBF


def _view_codes(view: str) -> tuple[int, ...]:
    codes = _VIEW_CODES.get(view)
    if codes is None:
        raise ValueError(f"view={view!r} is not one of stdout, stderr, output")
    return codes


def _check_patterns(patterns: Sequence[re.Pattern[str]]) -> None:
    for pattern in patterns:
        if not isinstance(pattern, re.Pattern) or not isinstance(pattern.pattern, str):
            raise TypeError(f"expected a compiled str pattern (re.compile('...')), got {pattern!r}")
