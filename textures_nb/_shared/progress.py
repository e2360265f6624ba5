"""Progress bars that honour ``TQDM_DISABLE`` when they are created.

tqdm reads its ``TQDM_*`` environment variables once, when it is imported,
and an explicit ``disable=False`` (what ``disable=not progress`` passes) wins
over them. :func:`tqdm` here is ``tqdm.auto.tqdm`` except that a set
``TQDM_DISABLE`` (anything but ``""``, ``"0"`` or ``"false"``), read at call
time, disables the bar whatever ``disable`` says: the test suite and batch
runs stay silent.
"""

from __future__ import annotations

import os

from tqdm.auto import tqdm as _auto_tqdm

__all__ = ["bars_disabled", "tqdm"]


def bars_disabled() -> bool:
    """True when the environment asks for no progress bars (``TQDM_DISABLE``)."""
    return os.environ.get("TQDM_DISABLE", "").strip().lower() not in ("", "0", "false")


def tqdm(*args, **kwargs):
    """``tqdm.auto.tqdm(*args, **kwargs)``, disabled when :func:`bars_disabled`."""
    if bars_disabled():
        kwargs["disable"] = True
    return _auto_tqdm(*args, **kwargs)
