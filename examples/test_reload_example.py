"""SIGHUP reloads configuration; the code under test calls os.kill itself."""

import os
import signal

import pytest


class Service:
    def __init__(self):
        self.config_version = 1
        self._previous = signal.signal(signal.SIGHUP, self.reload)

    def reload(self, signum, frame):
        self.config_version += 1

    def close(self):
        signal.signal(signal.SIGHUP, self._previous)  # not SIG_DFL: under nohup it was SIG_IGN


@pytest.mark.sends_signal(signal.SIGHUP)
def test_reload_via_os_kill(signal_log):
    service = Service()
    os.kill(os.getpid(), signal.SIGHUP)  # the code's own kill; the handler has run on return
    os.kill(os.getpid(), signal.SIGHUP)
    service.close()
    assert service.config_version == 3
    signal_log.assert_handled(signal.SIGHUP, times=2, by=Service.reload)


def test_handler_sees_the_real_dispositions(signal_log):
    before = signal.getsignal(signal.SIGHUP)
    assert before in (signal.SIG_DFL, signal.SIG_IGN)  # as without the plugin (SIG_IGN under nohup)
    service = Service()
    assert signal.getsignal(signal.SIGHUP) == service.reload
    service.close()
    assert signal.getsignal(signal.SIGHUP) is before
