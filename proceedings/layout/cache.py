"""The engine's cache: laid-out parts, font subsets and the assembled book, in one
folder, each file named by the digest of everything that made it.

A part's digest (``Fingerprint``) covers its HTML, the stylesheets, the fonts, its
images and ``files.code_version()``; a font subset's, the font file and the glyphs;
the book's, the digests of its parts and where they land. A file found is a file
that would be made again byte for byte, so nothing is ever invalidated: what is
not used any more is pruned (``prune``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import time
from pathlib import Path

from proceedings.files import code_version, file_digest, files_digest, folder_files
from proceedings.layout.records import Part, PartLayout
from proceedings.pdf import STYLESHEETS

# What the cache holds, each file named by its digest: laid-out parts (a PDF and its page
# map, or a draft's page map alone), font subsets, the assembled book, the proofs' stamps
# and the findings kept for the proofs. Not the indexes beside them (checks.json,
# proofs.json, built.json), which each run rewrites.
_CACHED = re.compile(r"(?:[0-9a-f]{40}\.(?:pdf|json)|font-[0-9a-f]{32}\.ttf|book-[0-9a-f]{40}\.pdf"
                     r"|(?:cover|watermark|citation)-[0-9a-f]{40}\.pdf|findings-[0-9a-f]{40}\.json)")
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
                    digest.update(file_digest(path))
        return digest.hexdigest()[:40]


def stored(cache: Path, digest: str, draft: bool = False) -> PartLayout | None:
    """A part laid out before with the same inputs, if its files are still there (a
    draft has no PDF)."""
    meta = cache / f"{digest}.json"
    if not (meta.is_file() and (draft or (cache / f"{digest}.pdf").is_file())):
        return None
    try:
        layout = PartLayout(**json.loads(meta.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):  # gone meanwhile (another build's pruning), or damaged
        return None
    # A damaged page map that still parses: laid out again rather than trusted.
    well_formed = (isinstance(layout.pages, int) and layout.pages > 0 and isinstance(layout.anchors, dict)
                   and all(isinstance(a, list) and len(a) == 3 for a in layout.anchors.values())
                   and isinstance(layout.bookmarks, list) and isinstance(layout.diagnostics, list))
    return layout if well_formed else None


def book_path(cache: Path, recipe: object) -> Path:
    """Where the book assembled by ``recipe`` (its parts' digests, places, numbers and
    stamps, as JSON) is kept."""
    text = json.dumps(recipe)
    return cache / f"book-{hashlib.sha256(text.encode()).hexdigest()[:40]}.pdf"


def prune(cache: Path, used: set[str], since: float) -> None:
    """Keep the cache in bounds: four times what the book uses (at least ``CACHE_FLOOR``).

    Every save in ``proceedings watch`` leaves a layout of the edited paper behind; the
    ones used longest ago go first, so that undoing an edit still finds the layout it
    had. What the build that began at ``since`` used is never removed: the parts of the
    ``used`` digests (touched here), and the font subsets and the book (touched or
    written during the build).
    """
    now = time.time()
    for digest in used:
        for path in (cache / f"{digest}.pdf", cache / f"{digest}.json"):
            with contextlib.suppress(FileNotFoundError):
                os.utime(path, (now, now))
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
