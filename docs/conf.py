"""Sphinx configuration for pytest-signals."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest_signals

sys.path.insert(0, str(Path(__file__).parent / "_ext"))  # reference_from_code

project = "pytest-signals"
author = "The pytest-signals developers"
copyright = "2026, The pytest-signals developers"
release = pytest_signals.__version__
version = release

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "reference_from_code"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
napoleon_google_docstring = True
nitpicky = False
html_theme = "furo"
html_title = "pytest-signals"
exclude_patterns = ["_build", "_snippets"]  # _snippets: included, not pages
