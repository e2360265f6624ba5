"""Alias of the notebook maintenance tools (now :mod:`textures_nb.runner.maintenance`)."""

from __future__ import annotations

from textures_nb.runner.maintenance import (
    CHECK_MARKER,
    CHECK_TAG,
    check_stripped,
    is_check_cell,
    refresh_notebooks,
    strip_notebook,
)

__all__ = [
    "CHECK_MARKER",
    "CHECK_TAG",
    "check_stripped",
    "is_check_cell",
    "refresh_notebooks",
    "strip_notebook",
]
