"""``proceedings new FOLDER``: a small complete book to start from.

The book is ``proceedings/data/starter``: every kind of source file, each with comments
that tell the editor what to change, and a paper with a table, a figure, footnotes and
references. It passes ``proceedings check --strict`` as it is (a test makes sure). It
is written into a folder of its own beside FOLDER and renamed into place, so that a
failed run leaves nothing half-written; an existing folder is never written into unless
it is empty.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from proceedings.diagnostics import escaped
from proceedings.files import umask
from proceedings.messages import Message, msg

STARTER = Path(__file__).resolve().parent / "data" / "starter"


class StarterError(Exception):
    """Why the book could not be created; nothing was written."""

    def __init__(self, message: Message) -> None:
        super().__init__(message)
        self.message = message


def create(folder: Path) -> list[Path]:
    """Write the starter book into ``folder``; return its files, relative to it."""
    shown = escaped(str(folder))
    if folder.exists() or folder.is_symlink():
        if not folder.is_dir() or folder.is_symlink():
            raise StarterError(msg("{folder} exists and is not a folder: give the name of a new folder",
                                   folder=shown))
        if any(folder.iterdir()):
            raise StarterError(msg("{folder} is not empty: give the name of a new or empty folder, so that "
                                   "no file of yours is replaced (nothing was written)", folder=shown))
    parent = folder.resolve().parent
    if not parent.is_dir():
        raise StarterError(msg("{folder} does not exist: create it first, or name a folder in one that does",
                               folder=escaped(str(folder.parent))))
    try:
        staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{folder.name}.", suffix=".new"))
        try:
            shutil.copytree(STARTER, staging, dirs_exist_ok=True,
                            ignore=shutil.ignore_patterns("__pycache__", ".*"))
            staging.chmod(0o777 & ~umask())
            if folder.is_dir():
                folder.rmdir()  # empty: checked above
            staging.rename(folder)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    except OSError as exc:
        raise StarterError(msg("{folder}: {reason} (nothing was written)", folder=shown,
                               reason=escaped(str(exc.strerror or exc)))) from None
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())
