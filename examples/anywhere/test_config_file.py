"""SIGTERM at every line of a save: the file holds the old settings or the new ones."""

import contextlib
import signal
import sys

import pytest
from config_file import buggy_save, save

from pytest_signals import SignalAnywhereFailure

OLD = {"port": "80", "host": "example.org"}
NEW = {"port": "8080", "host": "example.com", "workers": "4"}


def text(settings):
    return "".join(f"{key} = {value}\n" for key, value in settings.items())


def on_sigterm(signum, frame):
    sys.exit(0)


def check_save(signal_anywhere, tmp_path, function):
    path = tmp_path / "service.conf"
    for run in signal_anywhere(signal.SIGTERM, within=function):
        with run:
            path.write_text(text(OLD))  # fresh state for every run
            previous = signal.signal(signal.SIGTERM, on_sigterm)
            try:
                with contextlib.suppress(SystemExit):
                    function(str(path), NEW)
            finally:
                signal.signal(signal.SIGTERM, previous)
            assert path.read_text() in (text(OLD), text(NEW)), f"a broken file: {path.read_text()!r}"


@pytest.mark.xfail(raises=SignalAnywhereFailure, strict=True, reason="the bug signal_anywhere finds")
def test_buggy_save(signal_anywhere, tmp_path):
    check_save(signal_anywhere, tmp_path, buggy_save)


def test_save(signal_anywhere, tmp_path):
    check_save(signal_anywhere, tmp_path, save)
