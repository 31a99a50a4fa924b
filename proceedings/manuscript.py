"""Open an author's Word manuscript safely and read it with pandoc into its JSON AST.

A .docx is a zip of XML parts, and manuscripts come from many hands: before pandoc sees a
byte, the archive is checked (what it is, how large its members are and how much they
expand, no DTD or entity in any XML part, no macros, no image linked from outside, no
image too large to decode), and pandoc is given only the parts it reads text from, runs
with a memory bound and a time limit, and is asked for its JSON AST, so that the import
maps the document's structure, not a text rendering of it.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from proceedings.diagnostics import Diagnostic, error
from proceedings.imagebounds import layout_refusal
from proceedings.messages import Message, msg

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_MEMBERS = 2000
# What the archive may expand to in all, and any one XML part: a 300-page manuscript's
# document.xml is about 5 MB.
MAX_EXPANDED_BYTES = 200 * 1024 * 1024
MAX_XML_BYTES = 40 * 1024 * 1024
MAX_MEDIA_BYTES = 60 * 1024 * 1024
# Deflate rarely packs text better than 1:20; a zip bomb packs a thousand times better.
MAX_RATIO = 100
PANDOC_SECONDS = 60
PANDOC_MEMORY = "1g"

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MACROS = msg("a macro-enabled Word document (.docm) named .docx: macros are never imported; ask the author "
              "to save it as a plain .docx")
_CONVERT = "soffice --headless --convert-to docx"
_EXTERNAL_RE = re.compile(rb"<Relationship\b[^>]*>", re.S)
# What Word fetches when the document opens: a picture, an object, a template, a frame.
_LINKED_RE = re.compile(rb'Type="[^"]*/(image|oleObject|attachedTemplate|frame|subDocument)"')
_DOCTYPE_RE = re.compile(rb"<!(DOCTYPE|ENTITY)", re.I)


@dataclass(frozen=True)
class Manuscript:
    """A manuscript read by pandoc: its AST and its images by their path in the AST."""

    path: Path
    ast: dict[str, Any]
    media: dict[str, bytes] = field(default_factory=dict)


def pandoc_path() -> str | None:
    """The pandoc that ``pypandoc-binary`` ships (else one on PATH)."""
    try:
        import pypandoc

        return str(pypandoc.get_pandoc_path())
    except (ImportError, OSError):
        return None


def read_manuscript(path: Path, shown: str) -> tuple[Manuscript | None, list[Diagnostic]]:
    """The manuscript at ``path``, or the reasons it cannot be imported (never raises)."""
    try:
        checked = _checked_parts(path, shown)
    except OSError as exc:
        return None, [error(shown, 0, msg("cannot read: {reason}", reason=str(exc.strerror or exc)), "io")]
    if isinstance(checked, list):
        return None, checked
    parts, media = checked
    _mark_languages(parts)
    _letter_lists(parts)
    ast, problems = _run_pandoc(parts, shown)
    if ast is None:
        return None, problems
    return Manuscript(path, ast, media), problems


def _checked_parts(path: Path, shown: str) -> tuple[dict[str, bytes], dict[str, bytes]] | list[Diagnostic]:
    if not path.is_file():
        return [error(shown, 0, msg("not found, or not a regular file"), "missing-file")]
    if path.stat().st_size > MAX_FILE_BYTES:
        return [error(shown, 0, msg("larger than 50 MB; a manuscript never is"), "too-large")]
    with path.open("rb") as handle:
        head = handle.read(8)
    kind = _not_docx(head, path)
    if kind is not None:
        return [error(shown, 0, kind, "not-docx")]
    try:
        with zipfile.ZipFile(path) as archive:
            return _read_archive(archive, shown)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError,
            zlib.error) as exc:
        return [error(shown, 0, msg("a damaged .docx (the zip archive cannot be read: {reason})",
                                    reason=str(exc)),
                      "damaged-docx")]


def _not_docx(head: bytes, path: Path) -> Message | None:
    suffix = path.suffix.lower()
    command = f"{_CONVERT} {path.name}"
    if head.startswith(_OLE):
        return msg("a legacy Word document (.doc), not a .docx: convert it with LibreOffice, `{command}`, "
                   "and import the .docx", command=command)
    if head.startswith(b"%PDF"):
        return msg("a PDF, not a Word manuscript: ask the author for the .docx")
    if head.startswith(b"{\\rtf"):
        return msg("an RTF file, not a .docx: convert it with LibreOffice, `{command}`",
                   command=command)
    if not head.startswith(b"PK"):
        return msg("not a Word .docx file (a {suffix} of another kind)", suffix=suffix) if suffix \
            else msg("not a Word .docx file (a file of another kind)")
    return None


def _read_archive(
    archive: zipfile.ZipFile, shown: str
) -> tuple[dict[str, bytes], dict[str, bytes]] | list[Diagnostic]:
    infos = archive.infolist()
    names = {info.filename for info in infos}
    if "mimetype" in names and b"opendocument" in _bounded(archive, archive.getinfo("mimetype"), 200):
        return [error(shown, 0, msg("an OpenDocument text (.odt), not a .docx: convert it with LibreOffice, "
                                    "`{command}`, or save it from the editor as Word (.docx)",
                                    command=_CONVERT), "not-docx")]
    problems = _archive_shape(infos, shown)
    if problems:
        return problems
    if "word/document.xml" not in names:
        return [error(shown, 0, msg("a damaged .docx: it has no word/document.xml"), "damaged-docx")]
    if any(n.lower().endswith(".bin") and "vba" in n.lower() for n in names):
        return [error(shown, 0, _MACROS, "macro")]
    parts: dict[str, bytes] = {}
    media: dict[str, bytes] = {}
    found: list[Diagnostic] = []
    for info in infos:
        name = info.filename
        if info.is_dir():
            continue
        if name.startswith("word/media/"):
            data = _bounded(archive, info, MAX_MEDIA_BYTES)
            refusal = layout_refusal(data)
            if refusal is not None:
                found.append(error(shown, 0, msg("image {name}: {problem}", name=name.removeprefix("word/"),
                                                 problem=refusal), "image-too-large"))
            media[name.removeprefix("word/")] = data
            # pandoc drops a picture whose file is missing, but needs none of its bytes.
            parts[name] = b""
            continue
        if not name.endswith((".xml", ".rels")):
            continue  # fonts, thumbnails, embedded objects: pandoc reads none of them
        data = _bounded(archive, info, MAX_XML_BYTES)
        if _DOCTYPE_RE.search(data):
            found.append(error(shown, 0, msg("{name} declares a DTD or entities, which Word never writes (an "
                                             "entity bomb?); refused", name=name), "xml-entities"))
        if name == "[Content_Types].xml" and b"macroEnabled" in data:
            found.append(error(shown, 0, _MACROS, "macro"))
        if name.endswith(".rels"):
            found.extend(_external_images(data, name, shown))
        parts[name] = data
    return found or (parts, media)


def _archive_shape(infos: list[zipfile.ZipInfo], shown: str) -> list[Diagnostic]:
    """A zip bomb is told from the members' declared sizes, before any is expanded."""
    if len(infos) > MAX_MEMBERS:
        return [error(shown, 0, msg("the archive has {n:,} members; a manuscript has a few dozen",
                                    n=len(infos)), "zip-bomb")]
    total = sum(info.file_size for info in infos)
    if total > MAX_EXPANDED_BYTES:
        return [error(shown, 0, msg("the archive expands to {total:,} bytes (the limit is {limit:,}): a zip "
                                    "bomb?",
                                    total=total, limit=MAX_EXPANDED_BYTES), "zip-bomb")]
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1_000_000 and ratio > MAX_RATIO:
            return [error(shown, 0, msg("{name} expands {ratio:,.0f} times (to {size:,} bytes): a zip bomb?",
                                        name=info.filename, ratio=ratio,
                                            size=info.file_size),
                          "zip-bomb")]
    return []


def _bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """A member's bytes, never more than ``limit``: a header may lie about the size."""
    with archive.open(info) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{info.filename} expands past {limit:,} bytes")
    return data


def _external_images(rels: bytes, name: str, shown: str) -> list[Diagnostic]:
    found = []
    for match in _EXTERNAL_RE.finditer(rels):
        tag = match[0]
        if b'TargetMode="External"' in tag and _LINKED_RE.search(tag):
            target = re.search(rb'Target="([^"]*)"', tag)
            where = target[1].decode("utf-8", "replace") if target else "?"
            found.append(error(shown, 0, msg("{name}: a picture or object linked from outside the file "
                                             "({where}); insert the picture itself", name=name, where=where),
                               "refused-url"))
    return found


_RUN_LANG_RE = re.compile(
    rb"<w:rPr>((?:(?!</w:rPr>).){0,2000}?)<w:lang\b[^>]*?\bw:val=\"([A-Za-z]{2,3})\b[^>]*>", re.S
)


def _mark_languages(parts: dict[str, bytes]) -> None:
    """Give each run that Word marked with a language a character style named for it.

    pandoc keeps no run's language, but keeps its character style (docx+styles) as a
    Span: a run «status quo» marked en-US becomes Span custom-style "lang-en".
    """
    langs: set[bytes] = set()

    def tag(match: re.Match[bytes]) -> bytes:
        if b"<w:rStyle" in match[1]:
            return match[0]  # a run has one style; its own wins
        lang = match[2].lower()
        langs.add(lang)
        return b'<w:rPr><w:rStyle w:val="lang-' + lang + b'"/>' + match[0][len(b"<w:rPr>"):]

    for name in ("word/document.xml", "word/footnotes.xml"):
        if name in parts:
            parts[name] = _RUN_LANG_RE.sub(tag, parts[name])
    styles = parts.get("word/styles.xml")
    if langs and styles is not None and b"</w:styles>" in styles:
        defined = b"".join(b'<w:style w:type="character" w:customStyle="1" w:styleId="lang-' + lang
                           + b'"><w:name w:val="lang-' + lang + b'"/></w:style>' for lang in sorted(langs))
        parts["word/styles.xml"] = styles.replace(b"</w:styles>", defined + b"</w:styles>")


def _letter_lists(parts: dict[str, bytes]) -> None:
    """Lists lettered а) б) в) (Word's russianLower) as lettered lists for pandoc, which
    knows only the Latin letter formats and would read them as numbered."""
    numbering = parts.get("word/numbering.xml")
    if numbering is not None:
        parts["word/numbering.xml"] = numbering.replace(b'w:val="russianLower"', b'w:val="lowerLetter"') \
            .replace(b'w:val="russianUpper"', b'w:val="upperLetter"')


def _run_pandoc(parts: dict[str, bytes], shown: str) -> tuple[dict[str, Any] | None, list[Diagnostic]]:
    pandoc = pandoc_path()
    if pandoc is None:
        return None, [error(shown, 0, msg("pandoc is not installed (pip install pypandoc-binary)"), "pandoc")]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as trimmed:
        for name, data in parts.items():
            trimmed.writestr(name, data)
    handle, temp = tempfile.mkstemp(suffix=".docx")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(buffer.getvalue())
        # +RTS -M bounds pandoc's heap, as its manual advises for untrusted input.
        done = subprocess.run(
            [pandoc, "+RTS", f"-M{PANDOC_MEMORY}", "-RTS", "-f", "docx+styles", "-t", "json",
             "--track-changes=accept", temp],
            capture_output=True, timeout=PANDOC_SECONDS, check=False,
        )
    except subprocess.TimeoutExpired:
        return None, [error(shown, 0, msg("pandoc did not finish in {seconds} s", seconds=PANDOC_SECONDS),
                            "pandoc")]
    except OSError as exc:
        return None, [error(shown, 0, msg("cannot run pandoc: {reason}", reason=str(exc.strerror or exc)),
                            "pandoc")]
    finally:
        os.unlink(temp)
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return None, [error(shown, 0, msg("pandoc cannot read it: {reason}",
                                          reason=said[-1] if said else str(done.returncode)), "damaged-docx")]
    try:
        ast = json.loads(done.stdout)
    except ValueError:
        return None, [error(shown, 0, msg("pandoc's output is not JSON"), "pandoc")]
    if not isinstance(ast, dict) or not isinstance(ast.get("blocks"), list):
        return None, [error(shown, 0, msg("pandoc's output is not a document"), "pandoc")]
    return ast, []
