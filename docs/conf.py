"""Sphinx configuration for pytest-signals."""

from __future__ import annotations

import pytest_signals

project = "pytest-signals"
author = "The pytest-signals developers"
copyright = "2026, The pytest-signals developers"
release = pytest_signals.__version__
version = release

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
napoleon_google_docstring = True
nitpicky = False
html_theme = "furo"
html_title = "pytest-signals"
exclude_patterns = ["_build", "_snippets"]  # _snippets: included, not pages
