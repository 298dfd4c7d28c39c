# Only for `pytest examples`, run from the repository's root: that reads the
# repository's settings, not this project's pyproject.toml, so this puts src/
# on the import path as this project's `pythonpath = ["src"]` does. A project
# of your own needs no such file (the docs copy the project without it).
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "src"))
