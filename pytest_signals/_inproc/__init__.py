"""The test process: the one owner of its signal state.

Everything here runs in the pytest process itself, and only while a test that
uses the plugin runs: the snapshot (:mod:`.state`, :mod:`.kernel`), the guard
that owns it (:mod:`.guard`), the protection of each phase (:mod:`.protect`),
the observer beneath the code under test (:mod:`.observe`, :mod:`.real`,
:mod:`.senders`, :mod:`.faults`), the
event-loop hooks (:mod:`.loop`), sending (:mod:`.send`, :mod:`.procs`), the
handler watchdog (:mod:`.watchdog`) and the undo stack (:mod:`.undo`).
"""
