"""Files: written whole or not at all, and known by their digests.

Every output goes through ``write_atomic``; every cache of the build is keyed by
digests made here, and by one ``code_version``, so that a change to the code, to
WeasyPrint or to pikepdf invalidates what they made.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

PACKAGE = Path(__file__).resolve().parent
PACKAGE_ROOT = PACKAGE.parent  # where styles/ and fonts/ are


class WriteFailed(OSError):
    """An output could not be written (a read-only folder, a full disk): the output
    folder's fault, not the book's; ``filename`` is the folder written to."""


def make_folder(path: Path) -> None:
    """Make the folder ``path`` (and its parents), or raise WriteFailed."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteFailed(exc.errno, exc.strerror, str(path)) from exc


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename; WriteFailed if
    it cannot be (the file is then as it was)."""
    make_folder(path.parent)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise WriteFailed(exc.errno, exc.strerror, str(path.parent)) from exc
    try:
        # mkstemp makes the file 0600; give the output the mode open() would (0644 under
        # the usual umask), so that the editor's group or a web server can read the book.
        os.chmod(fd, 0o666 & ~umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise WriteFailed(exc.errno, exc.strerror, str(path.parent)) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def umask() -> int:
    """The process's umask, which can only be read by setting it (and setting it back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def sealed_text(data: bytes) -> bytes:
    """``data`` after a line with its digest, for a cache file checked when read back
    (``unsealed``)."""
    return hashlib.sha256(data).hexdigest().encode() + b"\n" + data


def unsealed(sealed: bytes) -> bytes | None:
    """What ``sealed_text`` sealed, or None when it is not what the digest says."""
    seal, _, data = sealed.partition(b"\n")
    return data if seal == hashlib.sha256(data).hexdigest().encode() else None


def touch(path: Path) -> None:
    """Mark a cached file as used: the cache's pruning keeps what was used last."""
    with contextlib.suppress(FileNotFoundError):
        os.utime(path)


_CHUNK = 1024 * 1024  # files are hashed a chunk at a time: a stray 6 GB file takes no memory
# A file's digest by its path, size and modification time: the fonts and stylesheets
# are read once per process, not at every rebuild of proceedings watch.
_digests: dict[tuple[str, int, int], bytes] = {}


def _hash_into(digest: hashlib._Hash, handle: BinaryIO) -> None:
    while chunk := handle.read(_CHUNK):
        digest.update(chunk)


def file_digest(path: Path) -> bytes:
    """The SHA-256 of a file's content, read again only when it changes."""
    info = path.stat()
    key = (str(path), info.st_size, info.st_mtime_ns)
    if key not in _digests:
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            _hash_into(digest, handle)
        _digests[key] = digest.digest()
    return _digests[key]


def resolved(path: Path) -> Path | None:
    """Where ``path`` leads, links followed; None for a loop of links (Python 3.11 raises
    RuntimeError for one, later versions OSError)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return None


def _inside(path: Path, root: Path) -> Path | None:
    """Where ``path`` leads, if that is inside ``root`` (a resolved folder)."""
    target = resolved(path)
    return target if target is not None and target.is_relative_to(root) else None


def folder_files(folder: Path, root: Path) -> Iterator[tuple[str, Path | str]]:
    """Every file under ``folder`` by its name relative to it, in a stable order: the
    path of each file that lies inside ``root`` (a link that stays inside is followed),
    and for a link that leaves ``root`` its target as written, never followed.

    Pipes, devices and dangling links are left out: they hold no content to hash.
    """
    root = root.resolve()
    seen = {folder.resolve()}
    for current, dirs, names in os.walk(folder, followlinks=True):
        kept = []
        for name in sorted(dirs):
            path = Path(current, name)
            target = _inside(path, root)
            if target is None:
                yield path.relative_to(folder).as_posix(), os.readlink(path)
            elif target not in seen:  # a link back to a folder walked already is walked once
                seen.add(target)
                kept.append(name)
        dirs[:] = kept
        for name in sorted(names):
            path = Path(current, name)
            relative = path.relative_to(folder).as_posix()
            if _inside(path, root) is None:
                yield relative, os.readlink(path) if path.is_symlink() else ""
            elif path.is_file():
                yield relative, path


def files_digest(paths: Iterable[Path]) -> str:
    """The hash of the names and contents of ``paths``, in any order."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(file_digest(path))
    return digest.hexdigest()


def _tree(roots: Iterable[Path]) -> Iterator[tuple[str, Path]]:
    """Every file under ``roots`` (or ``roots`` that are files) with a name that says
    which root, in a stable order."""
    for number, root in enumerate(roots):
        if root.is_file():
            yield f"{number}/{root.name}", root
            continue
        for folder, dirs, files in os.walk(root):
            # Compiled modules are rewritten by the interpreter, not by an edit.
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            # os.walk does not enter linked folders; the links themselves are listed.
            links = [d for d in dirs if os.path.islink(os.path.join(folder, d))]
            for name in sorted([*files, *links]):
                path = Path(folder, name)
                yield f"{number}/{path.relative_to(root).as_posix()}", path


def tree_digest(roots: Iterable[Path]) -> str:
    """The hash of the names and contents of every file under ``roots``."""
    digest = hashlib.sha256()
    for name, path in _tree(roots):
        try:
            mode = path.lstat().st_mode
            # A link is hashed as where it points, never followed: a source may point
            # anywhere (the layout refuses what lies outside), and a target inside the
            # tree is hashed as a file of its own.
            if stat.S_ISLNK(mode):
                data = os.readlink(path).encode()
                digest.update(f"{name}\0{stat.S_IFMT(mode)}\0{len(data)}\0".encode())
                digest.update(data)
            elif stat.S_ISREG(mode):
                with path.open("rb") as handle:
                    size = os.fstat(handle.fileno()).st_size
                    digest.update(f"{name}\0{stat.S_IFMT(mode)}\0{size}\0".encode())
                    _hash_into(digest, handle)
            # else a pipe or a device, which would block or never end
        except OSError:  # removed meanwhile
            continue
    return digest.hexdigest()


@functools.cache
def code_version() -> str:
    """One key for the code that makes every cached file: this package (its modules and
    data) and the versions of the libraries that lay out and write PDFs.

    Every cache of the build is keyed by it, so that no cached layout, finding or
    stamp outlives the code that made it.
    """
    from importlib.metadata import version

    libraries = " ".join(f"{name} {version(name)}" for name in ("weasyprint", "pydyf", "pikepdf"))
    return hashlib.sha256(f"{libraries} {tree_digest([PACKAGE])}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Inputs:
    """What a book is made from, by digest: the code, the sources, the styles and fonts.

    The one way to tell whether a book's inputs changed: a build records its inputs'
    key beside the book (``record_inputs``), and the proofs lay the book out again when
    the key of the inputs as they are now differs.
    """

    code: str
    sources: str
    style: str

    @classmethod
    def of(cls, sources: Path, styles: Path, fonts: Path) -> Inputs:
        return cls(code_version(), tree_digest([sources]), tree_digest([styles, fonts]))

    @property
    def key(self) -> str:
        return hashlib.sha256(f"{self.code} {self.sources} {self.style}".encode()).hexdigest()[:40]


# Under the output folder: every cached file, kept and pruned by ``layout.cache``.
CACHE_FOLDER = Path(".cache")
BUILT = CACHE_FOLDER / "built.json"  # the inputs of the output folder's book


def record_inputs(out: Path, inputs: Inputs) -> None:
    """Say that the book in ``out`` was built from ``inputs``."""
    write_atomic(out / BUILT, json.dumps({"inputs": inputs.key}).encode())


def recorded_inputs(out: Path) -> str | None:
    """The key of the inputs the book in ``out`` was built from, if it says."""
    try:
        return str(json.loads((out / BUILT).read_text(encoding="utf-8"))["inputs"])
    except (OSError, ValueError, TypeError, KeyError):
        return None
