"""wordcount's Ctrl-C, tested twice: main() called in the test process, and
the real program in a terminal, where the test types the Ctrl-C."""

import io
import signal
from pathlib import Path

import pytest
from wordcount import main

HERE = Path(__file__).parent

# main() installs its SIGTERM handler for good, as a command-line tool does:
# the plugin puts the test's state back afterwards, without a warning.
leaves_handlers = pytest.mark.leaves_signal_state(reason="main() installs its SIGTERM handler for good")


@leaves_handlers
def test_counts_every_line(tmp_path):
    assert main([str(tmp_path / "counts.txt")], lines=io.StringIO("one two\nthree\n")) == 0
    assert (tmp_path / "counts.txt").read_text() == "1 2\n2 1\n"


@leaves_handlers
def test_ctrl_c_in_main_leaves_nothing_behind(send_signal, signal_log, tmp_path):
    def lines():
        yield "one two\n"
        send_signal(signal.SIGINT)  # Ctrl-C between two lines: KeyboardInterrupt here
        yield "never counted\n"

    assert main([str(tmp_path / "counts.txt")], lines=lines()) == 130
    assert list(tmp_path.iterdir()) == []  # no output, no temporary file
    signal_log.assert_keyboard_interrupt()


@leaves_handlers
def test_sigterm_in_main_stops_it_the_same_way(send_signal, signal_log, tmp_path):
    def lines():
        yield "one\n"
        send_signal(signal.SIGTERM)
        yield "never counted\n"

    assert main([str(tmp_path / "counts.txt")], lines=lines()) == 130
    assert list(tmp_path.iterdir()) == []
    signal_log.assert_handled(signal.SIGTERM, by="wordcount.on_sigterm")


def test_ctrl_c_typed_in_a_terminal(spawn, send_signal, signal_log, tmp_path):
    proc = spawn(HERE / "wordcount.py", str(tmp_path / "counts.txt"), tty=True)
    proc.expect("Ctrl-C to stop")
    proc.write("one two three\n")  # typed, as a person would
    proc.expect("line 1: 3 words")

    send_signal(signal.SIGINT, to=proc, via="tty").wait()  # the kernel turns the key into SIGINT

    assert proc.wait() == 130
    proc.expect("interrupted: nothing written")
    assert list(tmp_path.iterdir()) == []
    signal_log.assert_keyboard_interrupt(process=proc)
