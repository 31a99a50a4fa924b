"""The engine's cache: laid-out parts, font subsets and the assembled book, in one
folder, each file named by the digest of everything that made it.

A part's digest (``Fingerprint``) covers its HTML, the stylesheets, the fonts, its
images and ``files.code_version()``; a font subset's, the font file and the glyphs;
the book's, the digests of its parts and where they land. A file found is a file
that would be made again byte for byte, so nothing is ever invalidated: what is
not used any more is pruned (``prune``).

Every file is checked when it is read, so that a damaged cache never costs the book: a
part's page map is kept with its own digest and the digest of its PDF (``keep``,
``stored``), which is checked as the PDF is about to be read (``intact``, ``read_part``,
``check_parts``; a warm rebuild reads few); a font subset, the book and the proofs'
stamps carry the digest of their content in their names (``seal``, ``sealed``). A file
that fails its check is removed and made again, with a note (``discarded``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from proceedings.diagnostics import Diagnostic, note
from proceedings.files import (
    code_version,
    file_digest,
    files_digest,
    folder_files,
    sealed_text,
    touch,
    unsealed,
    write_atomic,
)
from proceedings.layout.records import Part, PartLayout
from proceedings.messages import msg
from proceedings.pdf import STYLESHEETS
from proceedings.pdfedit import read_pdf

if TYPE_CHECKING:
    import pikepdf

T = TypeVar("T")

# What the cache holds, each file named by its digest: laid-out parts (a PDF and its page
# map, or a draft's page map alone), font subsets, the assembled book, the proofs' stamps
# and the findings kept for the proofs. Not the indexes beside them (checks.json,
# proofs.json, built.json), which each run rewrites.
_CACHED = re.compile(r"(?:[0-9a-f]{40}\.(?:pdf|json)|font-[0-9a-f]{32}-[0-9a-f]{16}\.ttf"
                     r"|book-[0-9a-f]{40}-[0-9a-f]{16}\.pdf"
                     r"|(?:cover|watermark|citation)-[0-9a-f]{40}-[0-9a-f]{16}\.pdf|(?:findings|lines)-[0-9a-f]{40}\.json)")
CACHE_FLOOR = 64 * 1024 * 1024  # bytes the cache may always hold


class Fingerprint:
    """The hash of what every part's layout depends on besides its own HTML."""

    def __init__(self, styles: Path, fonts: Path, sources_root: Path) -> None:
        shared = [styles / "css" / name for name in STYLESHEETS]
        shared += sorted(fonts.glob("*.ttf"))
        self.common = hashlib.sha256(f"{code_version()} {files_digest(shared)}".encode()).hexdigest()
        self.sources_root = sources_root

    def of_text(self, html: str) -> str:
        """The digest of a document that depends on nothing but its HTML and the style."""
        return hashlib.sha256(f"{self.common} {html}".encode()).hexdigest()[:40]

    def of(self, part: Part, html: str) -> str:
        digest = hashlib.sha256(self.common.encode())
        digest.update(html.encode())
        if part.kind == "papers":
            # Images are fetched at layout time, so they are part of the paper too: every
            # file under its folder, since a figure may be in a folder of its own there.
            # Nothing outside the sources is read: a link that leaves them counts as
            # where it points (the layout refuses to fetch it anyway).
            folder = self.sources_root / "papers" / part.key.split(":", 1)[1]
            for name, path in folder_files(folder, self.sources_root):
                if isinstance(path, str):
                    digest.update(f"{name}\0->{path}\0".encode())
                else:
                    digest.update(f"{name}\0".encode())
                    try:
                        digest.update(file_digest(path))
                    except OSError as exc:  # unreadable: the check says so; the layout cannot fetch it
                        digest.update(f"unreadable {exc.errno}".encode())
        return digest.hexdigest()[:40]


def keep(cache: Path, layout: PartLayout, pdf: bytes | None) -> None:
    """Store a part laid out: its PDF (none for a draft), then its page map, which holds
    the PDF's digest and is sealed by its own."""
    if pdf is not None:
        layout.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
        write_atomic(cache / layout.pdf_name, pdf)
    write_atomic(cache / f"{layout.digest}.json", sealed_text(json.dumps(asdict(layout)).encode()))


def stored(cache: Path, digest: str, draft: bool = False) -> PartLayout | None:
    """A part laid out before with the same inputs, if its files are still there and
    intact (a draft has no PDF). A damaged one is removed, to be laid out again."""
    meta, pdf = cache / f"{digest}.json", cache / f"{digest}.pdf"
    try:
        data = meta.read_bytes()
    except OSError:  # never made, or gone meanwhile (another build's pruning)
        return None
    text = unsealed(data)
    if text is None:
        discard(meta, "page map")
        return None
    try:
        layout = PartLayout(**json.loads(text))
    except (ValueError, TypeError):  # intact, but not a page map (made by faulty code)
        return None
    # Well-formed JSON but an ill-formed page map: laid out again rather than trusted.
    well_formed = (isinstance(layout.pages, int) and layout.pages > 0 and isinstance(layout.anchors, dict)
                   and all(isinstance(a, list) and len(a) == 3 for a in layout.anchors.values())
                   and isinstance(layout.bookmarks, list) and isinstance(layout.diagnostics, list)
                   and isinstance(layout.measured, dict))
    # The PDF is checked when it is read (``intact``): a warm rebuild reads few of them.
    return layout if well_formed and (draft or pdf.is_file()) else None


class DamagedPart(Exception):
    """A part's PDF was found damaged as it was about to be read, and removed: the
    layout must look in the cache again (``typeset`` does)."""


def intact(path: Path) -> bool:
    """Whether the PDF of a part at ``path`` is the one laid out (by the digest its page
    map holds); a damaged one is removed, with its page map."""
    meta = path.with_suffix(".json")
    try:
        content = path.read_bytes()
        text = unsealed(meta.read_bytes())
        expected = json.loads(text)["pdf_sha256"] if text is not None else None
    except (OSError, ValueError, TypeError, KeyError):
        expected = None
    if expected is not None and hashlib.sha256(content).hexdigest() == expected:
        return True
    discard(path, "part")
    meta.unlink(missing_ok=True)
    return False


def check_parts(paths: list[Path]) -> None:
    """Raise DamagedPart unless every part's PDF in ``paths`` is intact."""
    damaged = [path for path in paths if not intact(path)]
    if damaged:
        raise DamagedPart(damaged)


def read_part(path: Path, read: Callable[[pikepdf.Pdf], T]) -> T:
    """What ``read`` makes of the PDF of a part, once it is found intact."""
    check_parts([path])
    return read_pdf(path, read)


def sealed_names(cache: Path) -> dict[str, list[str]]:
    """The names of the cache's files by their stems (``seal``), from one look at the folder."""
    names: dict[str, list[str]] = {}
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(cache):
            stem, sep, _seal = entry.name.rpartition("-")
            if sep:
                names.setdefault(stem, []).append(entry.name)
    return names


def sealed(cache: Path, stem: str, suffix: str,
           listed: dict[str, list[str]] | None = None) -> tuple[Path, bytes] | None:
    """The file kept under ``stem`` (``seal``) and its content, if it is there and its
    content is what its name says; a damaged one is removed. ``listed``: the cache's
    sealed files by stem (``sealed_names``), for a reader that looks many up, instead
    of a look through the folder for each."""
    if listed is None:
        candidates = list(cache.glob(f"{stem}-*{suffix}"))
    else:
        candidates = [cache / name for name in listed.get(stem, []) if name.endswith(suffix)]
    for path in candidates:
        try:
            content = path.read_bytes()
        except OSError:  # pruned meanwhile
            continue
        if path.name == f"{stem}-{hashlib.sha256(content).hexdigest()[:16]}{suffix}":
            touch(path)  # used: the cache keeps what was used last (prune)
            return path, content
        discard(path, "file")
    return None


def seal(cache: Path, stem: str, suffix: str, content: bytes) -> Path:
    """Keep ``content`` under ``stem``, named by its own digest too (``sealed``)."""
    path = cache / f"{stem}-{hashlib.sha256(content).hexdigest()[:16]}{suffix}"
    write_atomic(path, content)
    return path


# What was found damaged and removed, for the build to report (``discarded``).
_discarded: list[Diagnostic] = []


_DAMAGED = {"page map": msg("the cached page map was damaged; it is made again"),
            "part": msg("the cached part was damaged; it is made again"),
            "file": msg("the cached file was damaged; it is made again")}


def discard(path: Path, what: str) -> None:
    """Remove a damaged file of the cache, and say so."""
    path.unlink(missing_ok=True)
    _discarded.append(note(str(path), 0, _DAMAGED[what], "cache-damaged"))


def discarded() -> list[Diagnostic]:
    """The notes of the damaged files removed since the last call."""
    notes = list(_discarded)
    _discarded.clear()
    return notes


def book_stem(recipe: object) -> str:
    """The name under which the book assembled by ``recipe`` (its parts' digests,
    places, numbers and stamps, as JSON) is kept (``sealed``)."""
    text = json.dumps(recipe)
    return f"book-{hashlib.sha256(text.encode()).hexdigest()[:40]}"


def prune(cache: Path, used: set[str], since: float) -> None:
    """Keep the cache in bounds: four times what the book uses (at least ``CACHE_FLOOR``).

    Every save in ``proceedings watch`` leaves a layout of the edited paper behind; the
    ones used longest ago go first, so that undoing an edit still finds the layout it
    had. What the build that began at ``since`` used is never removed: the parts of the
    ``used`` digests (touched here), and the font subsets and the book (touched or
    written during the build).
    """
    for digest in used:
        touch(cache / f"{digest}.pdf")
        touch(cache / f"{digest}.json")
    entries = []
    for path in cache.iterdir():
        if _CACHED.fullmatch(path.name):
            with contextlib.suppress(FileNotFoundError):
                info = path.stat()
                entries.append((info.st_mtime, info.st_size, path))
    in_use = sum(size for mtime, size, _path in entries if mtime >= since)
    total = sum(size for _mtime, size, _path in entries)
    limit = max(4 * in_use, CACHE_FLOOR)
    for mtime, size, path in sorted(entries):  # oldest first
        if total <= limit or mtime >= since:
            break
        path.unlink(missing_ok=True)
        total -= size
