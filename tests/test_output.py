"""One child's output (``_children/output.py``): views, the byte cursor, the
spill to a temporary file, and linear matching. In-process unit tests: the
class touches no process-wide state."""

from __future__ import annotations

import gc
import random
import re
import warnings
from collections.abc import Iterable

import pytest

from pytest_signals._children.output import Found, Output

MiB = 1 << 20


def feed(output: Output, data: bytes, chunk: int, stream: str = "stdout") -> Iterable[None]:
    """Append *data* in pieces of *chunk* bytes, yielding after each."""
    for at in range(0, len(data), chunk):
        output.append(stream, data[at : at + chunk])  # type: ignore[arg-type]
        yield


def expect(output: Output, pattern: str) -> Found | None:
    """What an expect does once the child has exited: poll, then the final check."""
    search = output.search_any([re.compile(pattern)])
    found = search.poll() or search.final()
    return None if found is None else found[0]


# -- the byte cursor -----------------------------------------------------------------


def test_output_after_invalid_utf8_is_not_skipped() -> None:
    output = Output(MiB)
    output.append("stdout", b"caf\xe9 ONE\nTWO")
    one = expect(output, "ONE")
    assert one is not None
    assert (one.start, one.end, output.cursor) == (5, 8, 8)
    two = expect(output, "TWO")
    assert two is not None
    assert (two.start, two.end, output.cursor) == (9, 12, 12)


def test_a_byte_that_is_not_utf8_reads_as_one_replacement_character() -> None:
    output = Output(MiB)
    output.append("stdout", b"caf\xe9\xff!")
    found = expect(output, "caf(..)!")
    assert found is not None
    assert found.match[1] == "\ufffd\ufffd"
    assert found.end == 6
    assert output.text() == "caf\ufffd\ufffd!"


def test_a_character_split_across_appends_matches_once_complete() -> None:
    output = Output(MiB)
    smile = "😀".encode()
    output.append("stdout", b"x" + smile[:1])
    search = output.search_any([re.compile("x😀")])
    assert search.poll() is None
    output.append("stdout", smile[1:3])
    assert search.poll() is None
    output.append("stdout", smile[3:] + b"y")
    found = search.poll()
    assert found is not None
    assert (found[0].start, found[0].end, output.cursor) == (0, 5, 5)
    assert expect(output, "^y$") is not None
    assert output.text() == "x😀y"


def test_the_final_check_takes_an_incomplete_last_character_as_it_is() -> None:
    output = Output(MiB)
    output.append("stdout", "bye é".encode()[:-1])
    search = output.search_any([re.compile("bye .")])
    assert search.poll() is None
    found = search.final()
    assert found is not None
    assert found[0].match[0] == "bye \ufffd"
    assert output.cursor == output.size == 5


def test_a_window_does_not_make_a_line_start_or_a_word_boundary() -> None:
    output = Output(MiB, lookback=3)
    search = output.search_any([re.compile(r"^foo|\bbar")])
    output.append("stdout", b"." * 100 + b"xfoo")  # the first search covers it all
    assert search.poll() is None
    output.append("stdout", b"-" * 10)  # a window that starts at "foo"
    assert search.poll() is None
    output.append("stdout", b"x")
    assert search.poll() is None
    output.append("stdout", b"bar")  # a window that starts 3 bytes back, at "xba"
    assert search.poll() is None
    output.append("stdout", b" bar")
    found = search.poll()
    assert found is not None
    assert found[0].start == output.size - 3


def test_the_cursor_is_where_the_text_begins_for_the_next_search() -> None:
    output = Output(MiB)
    output.append("stdout", b"ready: go")
    assert expect(output, "ready:") is not None
    assert expect(output, r"^ go$") is not None  # ^ matches at the cursor, as before


def test_a_search_moves_the_cursor_once_and_restarts_when_another_moved_it() -> None:
    output = Output(MiB)
    output.append("stdout", b"a1 a2 a3")
    first = output.search_any([re.compile(r"a\d")])
    second = output.search_any([re.compile(r"a\d")])
    found = first.poll()
    assert found is not None
    assert found[0].match[0] == "a1"
    assert first.poll() == first.final() == found
    assert output.cursor == 2
    again = second.poll()  # began at 0, but the cursor moved to 2 meanwhile
    assert again is not None
    assert again[0].match[0] == "a2"
    assert output.cursor == 5


# -- views -------------------------------------------------------------------------


def test_views_rebuild_stdout_and_stderr_from_one_interleaved_copy() -> None:
    output = Output(MiB)
    for stream, data in [("stdout", b"o1 "), ("stdout", b"o2 "), ("stderr", b"e1 "), ("stdout", b"o3")]:
        output.append(stream, data)  # type: ignore[arg-type]
    output.append("stderr", "é".encode()[:1])
    output.append("stdout", b"!")
    output.append("stderr", "é".encode()[1:])
    assert output.text("stdout") == "o1 o2 o3!"
    assert output.text("stderr") == "e1 é"
    assert output.text("output") == "o1 o2 e1 o3\ufffd!\ufffd"
    assert (output.length("stdout"), output.length("stderr"), output.size) == (9, 5, 14)
    assert len(output._codes) == 6  # adjacent pieces of one stream are one segment


def test_terminal_output_is_the_stdout_view() -> None:
    output = Output(MiB)
    output.append("terminal", b"$ prompt\r\n")
    assert output.text("stdout") == output.text() == "$ prompt\r\n"
    assert output.text("stderr") == ""


def test_one_segment_for_a_child_that_writes_one_stream() -> None:
    output = Output(MiB)
    for _ in feed(output, b"x" * 10_000, 7):
        pass
    assert len(output._codes) == 1
    assert output.length("stderr") == 0  # what the block-buffering hint looks at


def test_tail_reads_whole_characters() -> None:
    output = Output(MiB)
    output.append("stdout", "ééé end".encode())
    assert output.tail(5) == "é end"
    assert output.tail(100) == "ééé end"
    assert output.tail(0) == ""


# -- the bound ---------------------------------------------------------------------


def test_above_the_bound_the_output_moves_to_a_file_and_stays_correct() -> None:
    output = Output(1024)
    out = b"".join(b"out %04d\n" % i for i in range(200))
    err = b"".join("err é %04d\n".encode() % i for i in range(200))
    search = output.search_count(re.compile(r"err é \d+\n"), 200)
    for i in range(200):
        output.append("stdout", out[i * 9 : (i + 1) * 9])
        output.append("stderr", err[i * 12 : (i + 1) * 12])
        search.poll()
        if i == 100:
            assert output.spilled
    assert len(output._buffer) == 0
    assert output.text("stdout") == out.decode()
    assert output.text("stderr") == err.decode()
    assert output.text().count("\n") == 400
    assert output.tail(11) == "err é 0199\n"
    found = search.poll()
    assert found is not None
    assert [f.match[0] for f in found] == err.decode().splitlines(keepends=True)
    assert output.cursor == output.size


def test_a_match_across_the_spill_boundary() -> None:
    output = Output(1024)
    output.append("stdout", b"." * 1000 + b"READ")
    assert not output.spilled
    search = output.search_any([re.compile("READY")])
    assert search.poll() is None
    output.append("stdout", b"Y" + b"." * 100)
    assert output.spilled
    found = search.poll()
    assert found is not None
    assert (found[0].start, found[0].end) == (1000, 1005)
    assert output.text("stdout") == "." * 1000 + "READY" + "." * 100


def test_a_bound_of_zero_keeps_nothing_in_memory() -> None:
    output = Output(0)
    output.append("stdout", b"hello")
    assert output.spilled
    assert output.text() == "hello"
    assert expect(output, "l+") is not None
    assert output.cursor == 4


def test_without_a_temporary_file_the_output_stays_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    def no_room(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "TemporaryFile", no_room)
    output = Output(4)
    output.append("stdout", b"hello")
    output.append("stderr", b" world")
    assert not output.spilled
    assert isinstance(output.spill_error, OSError)
    assert (output.text(), output.text("stderr")) == ("hello world", " world")


def test_the_temporary_file_is_closed_without_a_warning() -> None:
    output = Output(0)
    output.append("stdout", b"x")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del output
        gc.collect()
    assert [w for w in caught if issubclass(w.category, ResourceWarning)] == []
    closed = Output(0)
    closed.append("stdout", b"x")
    closed.close()
    closed.close()
    with pytest.raises(ValueError, match="the output was closed"):
        closed.text()


# -- linear matching ----------------------------------------------------------------


def test_a_match_longer_than_the_look_back_is_found_by_the_final_check() -> None:
    output = Output(MiB, lookback=16)
    pattern = re.compile(r"BEGIN.*END", re.DOTALL)
    search = output.search_any([pattern])
    output.append("stdout", b"." * 100 + b"BEGIN" + b"." * 895)
    assert search.poll() is None  # the first search covers all 1000 bytes
    output.append("stdout", b"....END")  # not doubled: a window of 16 + 7 bytes
    assert search.poll() is None
    found = search.final()
    assert found is not None
    assert (found[0].start, found[0].end) == (100, 1007)


def test_a_match_longer_than_the_look_back_is_found_when_the_range_doubles() -> None:
    output = Output(MiB, lookback=16)
    search = output.search_any([re.compile(r"BEGIN.*END", re.DOTALL)])
    output.append("stdout", b"BEGIN" + b"." * 995)
    assert search.poll() is None
    output.append("stdout", b"END")
    assert search.poll() is None
    output.append("stdout", b"." * 997)  # 2000 bytes from the cursor: a full search
    found = search.poll()
    assert found is not None
    assert (found[0].start, found[0].end) == (0, 1003)


def test_a_window_can_return_a_later_match_than_a_long_one() -> None:
    """The documented consequence: until the next full search, a window sees
    only matches that fit in the look-back."""
    output = Output(MiB, lookback=16)
    search = output.search_any([re.compile(r"BEGIN.*END|LATE", re.DOTALL)])
    output.append("stdout", b"BEGIN" + b"." * 995)
    assert search.poll() is None
    output.append("stdout", b"END LATE")
    found = search.poll()
    assert found is not None
    assert found[0].match[0] == "LATE"


@pytest.mark.parametrize("chunk", [64 * 1024, 1000, 10])
def test_the_work_is_linear(chunk: int) -> None:
    """A bound on the bytes decoded that grows with the output, not with its
    square: the old way decoded everything unmatched on every read (for 1.6 MB
    in 64 KiB reads, about 13 bytes decoded per byte; here at most 3.1)."""
    lookback = 4096
    for size in (200_000, 1_600_000):
        output = Output(MiB, lookback=lookback)
        search = output.search_any([re.compile("NEEDLE")])
        data = b"x" * (size - 6) + b"NEEDLE"
        # small reads: only the last 200 of them, after one large one
        pieces = range(0, size, chunk) if chunk >= 1000 else range(size - 200 * chunk, size, chunk)
        output.append("stdout", data[: pieces[0]])
        for at in pieces:
            assert search.poll() is None
            output.append("stdout", data[at : at + chunk])
        found = search.poll()
        assert found is not None
        assert found[0].end == size
        polls = len(pieces) + 1
        # full searches: at most twice the output; each window: its new data,
        # the look-back and the context before it
        assert output.decoded_bytes <= 3 * size + polls * (lookback + 2048)


def test_a_poll_with_nothing_new_decodes_nothing() -> None:
    output = Output(MiB)
    output.append("stdout", b"x" * 1000)
    search = output.search_any([re.compile("y")])
    assert search.poll() is None
    before = output.decoded_bytes
    for _ in range(100):
        assert search.poll() is None
    assert output.decoded_bytes == before


def test_an_empty_pattern_matches_at_once() -> None:
    output = Output(MiB)
    found = output.search_any([re.compile("")]).poll()
    assert found is not None
    assert found[0].end == 0


# -- several patterns --------------------------------------------------------------


def test_any_of_the_leftmost_wins_and_a_tie_goes_to_the_first_pattern() -> None:
    output = Output(MiB)
    output.append("stdout", b"one two three")
    patterns = [re.compile("three"), re.compile("two"), re.compile("t\\w+")]
    found = output.search_any(patterns).poll()
    assert found is not None
    assert (found[0].pattern, found[0].match[0], output.cursor) == (1, "two", 7)
    found = output.search_any([re.compile("t\\w+"), re.compile("three")]).poll()
    assert found is not None
    assert (found[0].pattern, output.cursor) == (0, 13)


def test_all_of_in_any_order() -> None:
    output = Output(MiB, lookback=8)
    search = output.search_all([re.compile("worker 1 done"), re.compile("worker 2 done"), re.compile("w")])
    output.append("stdout", b"start\nworker 2 done\n")
    assert search.poll() is None
    assert [p.pattern for p in search.missing] == ["worker 1 done"]
    output.append("stdout", b"worker 1 done\ntail")
    found = search.poll()
    assert found is not None
    assert [(f.pattern, f.start) for f in found] == [(0, 20), (1, 6), (2, 6)]
    assert output.cursor == 33
    assert search.missing == ()


def test_all_of_is_completed_by_the_final_check() -> None:
    output = Output(MiB, lookback=4)
    search = output.search_all([re.compile("a.*z", re.DOTALL), re.compile("b")])
    output.append("stdout", b"a" + b"." * 50)
    assert search.poll() is None
    output.append("stdout", b"z b")
    assert search.poll() is None  # b found; a...z longer than the look-back
    found = search.final()
    assert found is not None
    assert [(f.start, f.end) for f in found] == [(0, 52), (53, 54)]


def test_count_non_overlapping_matches_across_appends() -> None:
    output = Output(MiB, lookback=4)
    search = output.search_count(re.compile("aa"), 3)
    output.append("stdout", b"aaa")
    assert search.poll() is None
    assert search.counted == 1
    output.append("stdout", b"a-a")
    assert search.poll() is None
    assert search.counted == 2
    output.append("stdout", b"a")
    found = search.poll()
    assert found is not None
    assert [(f.start, f.end) for f in found] == [(0, 2), (2, 4), (5, 7)]
    assert output.cursor == 7


def test_count_follows_finditer_for_anchors_and_empty_matches() -> None:
    text = "x\nab\nab\nab"
    output = Output(MiB)
    output.append("stdout", text.encode())
    output.search_any([re.compile("x")]).poll()
    found = output.search_count(re.compile("^ab", re.MULTILINE), 3).poll()
    assert found is not None
    assert [f.start for f in found] == [2, 5, 8]
    empty = Output(MiB)
    empty.append("stdout", b"abc")
    found = empty.search_count(re.compile("b*"), 3).poll()
    assert found is not None
    assert [(f.start, f.end) for f in found] == [(0, 0), (1, 2), (2, 2)]


# -- failure hints -----------------------------------------------------------------


def test_a_pattern_that_appeared_before_the_previous_match() -> None:
    output = Output(MiB)
    output.append("stdout", "é ready\nready\nserving\n".encode())
    assert expect(output, "serving") is not None
    assert expect(output, "ready") is None
    earlier = output.find_before_cursor(re.compile("ready"))
    assert earlier is not None
    assert (earlier.start, earlier.end, output.cursor) == (9, 14, 22)  # the last one before the cursor
    assert output.find_before_cursor(re.compile("missing")) is None


def test_no_hint_before_any_match() -> None:
    output = Output(MiB)
    output.append("stdout", b"ready")
    assert output.find_before_cursor(re.compile("ready")) is None


# -- misuse ------------------------------------------------------------------------


def test_misuse_is_loud() -> None:
    output = Output(MiB)
    with pytest.raises(ValueError, match="stream='stdin' is not one of stdout, stderr, terminal"):
        output.append("stdin", b"x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="view='all'"):
        output.text("all")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="compiled str pattern"):
        output.search_any([re.compile(b"x")])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="compiled str pattern"):
        output.search_any(["x"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="no pattern"):
        output.search_all([])
    with pytest.raises(ValueError, match="count=0 must be at least 1"):
        output.search_count(re.compile("x"), 0)
    with pytest.raises(ValueError, match="memory=-1"):
        Output(-1)


# -- against a reference -------------------------------------------------------------

_PIECES = [b"a", b"b", b"x", b"\n", "é".encode(), "😀".encode(), "€".encode()[:2], b"\xff", b"\xe9", b"\xc3", b"\x80"]
_PATTERNS = ["é", ".\ufffd", "ab", "[^a]é", "😀", "x\ufffd", "\n.", "b", "^.", "\ufffd\ufffd"]


def _reference(data: bytes, patterns: list[str]) -> list[tuple[int, int, str]]:
    """Each pattern in turn, searched in everything after the previous match,
    decoded whole: the exact answer the incremental search must give."""
    cursor, found = 0, []
    for pattern in patterns:
        exact = data[cursor:].decode("utf-8", "surrogateescape")
        match = re.search(pattern, re.sub("[\udc80-\udcff]", "\ufffd", exact))
        if match is None:
            break
        start = cursor + len(exact[: match.start()].encode("utf-8", "surrogateescape"))
        cursor += len(exact[: match.end()].encode("utf-8", "surrogateescape"))
        found.append((start, cursor, match[0]))
    return found


@pytest.mark.parametrize("seed", range(200))
def test_matches_what_decoding_everything_finds(seed: int) -> None:
    """Random UTF-8, broken UTF-8 and chunking, with and without a spill, for
    patterns whose matches fit in the look-back: polled as data arrives, the
    searches find exactly what searching the whole output finds."""
    rng = random.Random(seed)
    data = b"".join(rng.choice(_PIECES) for _ in range(rng.randrange(1, 120)))
    patterns = [rng.choice(_PATTERNS) for _ in range(8)]
    output = Output(rng.choice([0, 16, 64, MiB]), lookback=rng.randrange(8, 17))
    found: list[tuple[int, int, str]] = []
    waiting = iter(patterns)
    search = output.search_any([re.compile(next(waiting))])

    def take(result: tuple[Found, ...] | None) -> bool:
        nonlocal search
        if result is None:
            return False
        found.append((result[0].start, result[0].end, result[0].match[0]))
        pattern = next(waiting, None)
        if pattern is None:
            return False
        search = output.search_any([re.compile(pattern)])
        return True

    at = 0
    while at < len(data):
        step = rng.randrange(1, 8)
        output.append(rng.choice(["stdout", "stderr"]), data[at : at + step])
        at += step
        while len(found) < len(patterns) and take(search.poll()):
            pass
    while len(found) < len(patterns) and take(search.final()):
        pass
    assert found == _reference(data, patterns)
    assert output.text() == data.decode("utf-8", "replace")
