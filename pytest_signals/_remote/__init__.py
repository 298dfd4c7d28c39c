"""Code that runs in processes other than pytest: standard library only, and
importable from the test process without side effects. Each module here runs
as a script of its own (``python -I -S <path>``) and also holds the wire
format its test side in ``_children/`` speaks. This file imports nothing."""
