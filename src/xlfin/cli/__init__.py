"""The ``xlfin`` command line (console script ``xlfin = "xlfin.cli:main"``); the commands live in :mod:`.main`."""

from .main import app, main

__all__ = ["app", "main"]
