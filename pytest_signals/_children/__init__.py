"""The test side of other processes: starting children (``spawn``), watching
them, their terminals, the fork server that forks them from a warm template,
and the keeper that stops them when pytest dies. What runs inside those
processes is elsewhere (``_remote/child.py``, ``_remote/template.py``, ``_remote/``): this
folder runs only in the test process."""
