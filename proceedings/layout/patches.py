"""The only place where the engine reaches into another package's internals.

``compression_level``: a part's streams are compressed at zlib level 6, not pydyf's
9; it replaces the ``zlib`` module pydyf sees. It changes only how the parts' PDFs
are written, never what is drawn, and buys 7 % of a cold build (``bench/compare.py``).

It holds for the pydyf releases pyproject.toml admits; ``check_internals`` says what
a new release no longer has, and a test calls it, so that an upgrade that breaks it
fails loudly instead of silently writing other bytes.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any


def check_internals() -> list[str]:
    """What this module relies on and the installed pydyf lacks."""
    import inspect

    import pydyf

    missing = []
    if not isinstance(getattr(pydyf, "zlib", None), (type(zlib), _Zlib)):
        missing.append("pydyf.zlib, the module pydyf compresses streams with")
    elif "zlib.compressobj(" not in inspect.getsource(pydyf):
        missing.append("pydyf's streams compressed with zlib.compressobj")
    return missing


# The zlib level pydyf compresses streams with in this context; None: its own (9).
_LEVEL: ContextVar[int | None] = ContextVar("zlib_level", default=None)


class _Zlib:
    """The zlib module as pydyf sees it, with the level of the current context."""

    def __getattr__(self, name: str) -> Any:
        return getattr(zlib, name)

    def compressobj(self, level: int = -1, *args: Any, **kwargs: Any) -> Any:
        chosen = _LEVEL.get()
        return zlib.compressobj(level if chosen is None else chosen, *args, **kwargs)


@contextmanager
def compression_level(level: int) -> Iterator[None]:
    """Have pydyf compress the streams written in this context at zlib ``level``.

    pydyf always uses level 9, several times slower than level 6 for slightly
    smaller streams. A context variable, not a setting: threads laying out other documents
    at the same time keep their own level, so every output stays reproducible.
    """
    import pydyf

    if not isinstance(pydyf.zlib, _Zlib):
        pydyf.zlib = _Zlib()
    token = _LEVEL.set(level)
    try:
        yield
    finally:
        _LEVEL.reset(token)
