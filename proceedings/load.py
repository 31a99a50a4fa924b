"""Read a sources folder into models, reporting every problem with its file and line.

This is the only module that sees raw YAML data. It never raises for bad input: it
returns what it could read and the diagnostics for the rest.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from proceedings.diagnostics import Diagnostic, Diagnostics, error, warning
from proceedings.locales import REFERENCE, Locale, LocaleError, read_locale, shipped
from proceedings.markup import find_citations
from proceedings.messages import Message, msg, verbatim
from proceedings.model import (
    Book,
    Paper,
    PaperFront,
    Participants,
    Person,
    Programme,
    Resolution,
    Sources,
    format_loc,
)
from proceedings.yamlsrc import Located, YamlError, parse_yaml, printable

M = TypeVar("M", bound=BaseModel)
MAX_SOURCE_BYTES = 20 * 1024 * 1024
# One paragraph is laid out as one piece: 900 kB took WeasyPrint 15 s and a 10 MB one
# minutes. The longest paragraph of the 2024 book has 8,871 characters.
MAX_PARAGRAPH_CHARS = 100_000


def display_path(path: Path) -> str:
    """A path as diagnostics show it: relative to the working folder when inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


class _Reader:
    """Collects diagnostics while reading one sources folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.diags = Diagnostics()
        self.lines: dict[str, dict[str, int]] = {}

    def error(self, path: Path, line: int, message: Message, code: str) -> None:
        self.diags.add(error(display_path(path), line, message, code))

    def read_text(self, path: Path) -> str | None:
        try:
            info = path.stat()
            # A pipe would block the check forever and /dev/zero would fill the memory
            # (their size is 0); a link out of the folder would print the editor's files.
            if not stat.S_ISREG(info.st_mode):
                self.error(path, 0, msg("not a regular file (a folder, pipe or device)"), "io")
                return None
            if not path.resolve().is_relative_to(self.root.resolve()):
                self.error(path, 0, msg("a symbolic link to a file outside the sources folder; copy the file "
                                        "in instead"), "refused-url")
                return None
            if info.st_size > MAX_SOURCE_BYTES:
                self.error(path, 0, msg("file is larger than 20 MB"), "too-large")
                return None
            with path.open(encoding="utf-8") as handle:
                text = handle.read(MAX_SOURCE_BYTES + 1)  # bounded even if the file grows
            # A byte order mark that an editor on Windows put first is not text (removed
            # here: the utf-8-sig codec decodes in Python, utf-8 in C).
            text = text.removeprefix("\ufeff")
            if len(text) > MAX_SOURCE_BYTES:
                self.error(path, 0, msg("file is larger than 20 MB"), "too-large")
                return None
            return text
        except FileNotFoundError:
            self.error(path, 0, msg("required file is missing"), "missing-file")
        except UnicodeDecodeError as exc:
            self.error(path, 0, msg("not UTF-8 text (byte {byte}): save the file as UTF-8", byte=exc.start),
                       "encoding")
        except OSError as exc:
            self.error(path, 0, msg("cannot read: {reason}", reason=str(exc.strerror)), "io")
        return None

    def parse(self, path: Path, text: str, first_line: int = 1) -> Located | None:
        try:
            located, lines = _parsed(text, first_line)
        except YamlError as exc:
            self.error(path, exc.line, exc.message, exc.code)
            return None
        self.lines[display_path(path)] = dict(lines)
        return located

    def parse_file(self, path: Path) -> Located | None:
        text = self.read_text(path)
        return None if text is None else self.parse(path, text)

    def validate(
        self, model: type[M], data: Any, path: Path, located: Located, prefix: tuple[Any, ...] = ()
    ) -> M | None:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            for diag in schema_diagnostics(exc, model, display_path(path), located, prefix):
                self.diags.add(diag)
            return None


@lru_cache(maxsize=2048)
def _parsed(text: str, first_line: int) -> tuple[Located, dict[str, int]]:
    """A YAML document and the line of each of its values by their dotted place.

    Kept for the texts seen last: ``proceedings watch`` reads every file at every save,
    and most are as they were. Nothing that reads them changes them (the loader copies
    what it normalises).
    """
    located = parse_yaml(text, first_line)
    return located, {format_loc(k): v for k, v in located.lines.items()}


def schema_diagnostics(
    exc: ValidationError, model: type[BaseModel], path: str, located: Located, prefix: tuple[Any, ...]
) -> list[Diagnostic]:
    """Turn pydantic errors into diagnostics at the YAML line of each offending key."""
    found = []
    quoted: set[tuple[Any, ...]] = set()
    errors = [(err, tuple(part for part in err["loc"] if not _is_union_tag(part))) for err in exc.errors()]
    colons = [_colon_of(err, loc, located, prefix) for err, loc in errors]
    for (err, loc), colon in zip(errors, colons, strict=True):
        line = located.line_of((*prefix, *loc))
        where = format_loc(tuple(printable(p) if isinstance(p, str) else p for p in loc)) or "(document)"
        kind = err["type"]
        # Where a field may take several shapes (a list, or lists per language), the other
        # shapes' errors only repeat what the colon made of it.
        if colon is None and any(c is not None and c[0][:len(prefix) + len(loc)] == (*prefix, *loc)
                                 for c in colons):
            continue
        if colon is not None:  # one text read as «key: value»: said once, however many errors it makes
            at, text = colon
            if at not in quoted:
                quoted.add(at)
                found.append(error(path, located.line_of(at), msg(
                    "the text that starts '{text}' holds a colon and a space (': '), which made it a key and "
                    "a value: put the whole text in quotes", text=_short_text(text)), "yaml"))
            continue
        if kind == "missing":
            found.append(error(path, line, msg("missing required field '{field}'", field=where),
                               "missing-field"))
        elif kind == "extra_forbidden":
            name = str(loc[-1]) if loc else "?"
            hint = _suggest(name, model, loc[:-1])
            if hint:
                found.append(error(path, line, msg("unknown field '{field}'; did you mean '{hint}'?",
                                                   field=where, hint=hint), "unknown-field"))
            else:
                found.append(error(path, line, msg("unknown field '{field}'", field=where), "unknown-field"))
        else:
            last = str(loc[-1]) if loc else ""
            code = last if last in {"isbn", "orcid"} else "type"
            value = err.get("input")
            problem = _schema_problem(err)
            if code == "type" and not isinstance(value, dict):
                found.append(error(path, line, msg("{field}: {problem} (got {value})", field=where,
                                                   problem=problem, value=_short(value)), code))
            else:
                found.append(error(path, line, msg("{field}: {problem}", field=where, problem=problem), code))
    return found


# pydantic's errors by their type, in words an editor reads (and that can be translated);
# the rest in pydantic's own words. A validator of the model raises its own message.
_SCHEMA_PROBLEMS = {
    "string_type": msg("should be text"),
    "int_type": msg("should be a whole number"),
    "int_parsing": msg("should be a whole number"),
    "int_from_float": msg("should be a whole number"),
    "float_type": msg("should be a number"),
    "float_parsing": msg("should be a number"),
    "bool_type": msg("should be true or false"),
    "bool_parsing": msg("should be true or false"),
    "list_type": msg("should be a list"),
    "dict_type": msg("should be a mapping of fields"),
    "model_type": msg("should be a mapping of fields"),
    "model_attributes_type": msg("should be a mapping of fields"),
    "date_type": msg("should be a date (YYYY-MM-DD)"),
    "date_parsing": msg("should be a date (YYYY-MM-DD)"),
    "date_from_datetime_parsing": msg("should be a date (YYYY-MM-DD)"),
}


def _schema_problem(err: Any) -> Message:
    kind, ctx = err["type"], err.get("ctx") or {}
    original = ctx.get("error")
    if kind == "value_error" and isinstance(original, ValueError) and original.args \
            and isinstance(original.args[0], Message):
        return original.args[0]
    if kind in _SCHEMA_PROBLEMS:
        return _SCHEMA_PROBLEMS[kind]
    if kind in ("literal_error", "enum"):
        return msg("should be {expected}", expected=str(ctx.get("expected", "")))
    if kind in ("too_short", "string_too_short"):
        return msg("should have at least {n} item(s)", n=ctx.get("min_length", 1)) if kind == "too_short" \
            else msg("should not be empty")
    if kind == "greater_than_equal":
        return msg("should be {limit} or more", limit=str(ctx.get("ge", "")))
    if kind == "greater_than":
        return msg("should be more than {limit}", limit=str(ctx.get("gt", "")))
    if kind == "less_than_equal":
        return msg("should be {limit} or less", limit=str(ctx.get("le", "")))
    if kind == "string_pattern_mismatch":
        return msg("should match the pattern {pattern}", pattern=str(ctx.get("pattern", "")))
    return verbatim(str(err["msg"]).removeprefix("Value error, "))


def _colon_of(err: Any, loc: tuple[Any, ...], located: Located,
              prefix: tuple[Any, ...]) -> tuple[tuple[Any, ...], str] | None:
    """The text a colon and a space made «key: value» that ``err`` comes from, if any."""
    value = err.get("input")
    # A text where one was expected, read as «key: value» (a language code or a field
    # name as the key is a mapping given in the wrong place instead).
    if err["type"] == "string_type" and isinstance(value, dict) and len(value) == 1 \
            and not re.fullmatch(r"[a-z_]+", str(next(iter(value)))):
        return (*prefix, *loc), str(next(iter(value)))
    return _colon_made_key(located.data, prefix, loc)


def _colon_made_key(data: Any, prefix: tuple[Any, ...],
                    loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], str] | None:
    """Where an error's path passes through a text that a colon and a space made a
    one-entry mapping (``- Сидоров П.П. Криминология : учебник``): its key path and the
    text before the colon. Only a key of words (with a space or a letter that is not
    ASCII) is taken for text: another may be a mistyped field."""
    node: Any = data
    path: tuple[Any, ...] = ()
    for part in (*prefix, *loc, None):
        if isinstance(node, dict) and len(node) == 1 and len(path) > len(prefix):
            key, value = next(iter(node.items()))
            if isinstance(value, str | None) and re.search(r"\s|[^\x00-\x7f]", str(key)):
                return path, str(key)
        inside = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if not inside and not (isinstance(node, dict) and part in node):
            break
        node, path = node[part], (*path, part)
    return None


def _short_text(text: str) -> str:
    text = printable(text)
    return text if len(text) <= 70 else text[:67] + "..."


def _is_union_tag(part: Any) -> bool:
    # pydantic adds the member type's name to locations inside unions, e.g. "str".
    return isinstance(part, str) and (part in {"str", "int", "bool"} or "[" in part)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _suggest(name: str, model: type[BaseModel], parent: tuple[Any, ...]) -> str:
    fields = _fields_at(model, parent)
    close = difflib.get_close_matches(name, fields, n=1, cutoff=0.6)
    return close[0] if close else ""


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    current: type[BaseModel] | None = model
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        field = current.model_fields.get(str(part))
        if field is None:
            return []
        current = _inner_model(field.annotation)
    return list(current.model_fields) if current is not None else []


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


# --- front matter ----------------------------------------------------------------


def split_front_matter(text: str) -> tuple[str, str, int] | None:
    """Split ``---`` front matter from a Markdown file: (yaml, body, body's first line)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return None
    for i in range(1, len(lines)):
        if lines[i].strip() in {"---", "..."}:
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1 :]), i + 2
    return None


def _normalize_references(raw: Any, located: Located) -> Any:
    """Number references the way the author did: given numbers, else one more than the last."""
    if not isinstance(raw, list):
        return raw
    result = []
    last = 0
    for i, item in enumerate(raw):
        entry: Any = {"text": item} if isinstance(item, str) else item
        if isinstance(entry, dict):
            entry = dict(entry)
            if "number" not in entry:
                entry["number"] = last + 1
            if isinstance(entry["number"], str) and entry["number"].isdigit():
                entry["number"] = int(entry["number"])
            if isinstance(entry["number"], int):
                last = entry["number"]
            entry["line"] = located.line_of(("references", i))
        result.append(entry)
    return result


def _cells(raw: Any) -> Any:
    """A table with every cell given as text made a cell record."""
    if not isinstance(raw, dict):
        return raw
    table = dict(raw)
    for part in ("header", "rows", "footer"):
        rows = table.get(part)
        if isinstance(rows, list):
            table[part] = [_row_cells(row) for row in rows]
    return table


def _row_cells(row: Any) -> Any:
    if isinstance(row, dict) and "cells" in row:  # a footer row with its kind
        return {**row, "cells": _row_cells(row["cells"])}
    return [{"text": c} if isinstance(c, str) else c for c in row] if isinstance(row, list) else row


def _with_lines(raw: Any, key: str, located: Located) -> Any:
    if not isinstance(raw, list):
        return raw
    return [
        {**item, "line": located.line_of((key, i))} if isinstance(item, dict) else item
        for i, item in enumerate(raw)
    ]


# --- the folder --------------------------------------------------------------------


def load_sources(root: Path) -> tuple[Sources | None, Diagnostics]:
    """Read every file of a sources folder; return the records and all problems found."""
    reader = _Reader(root)
    if not root.is_dir():
        reader.error(root, 0, msg("sources folder not found"), "missing-file")
        return None, reader.diags
    book = _load_record(reader, root / "book.yaml", Book)
    people = _load_people(reader, root / "people.yaml")
    programme = _load_record(reader, root / "programme.yaml", Programme, optional=True)
    participants = _load_record(reader, root / "participants.yaml", Participants, optional=True)
    papers = _load_papers(reader, root / "papers")
    resolutions = _load_resolutions(reader, root / "resolution")
    locales = _load_locales(reader, root / "locales")
    _without_locale(reader, root, book, papers, locales)
    if book is None or people is None or reader.diags.failed():
        return None, reader.diags
    sources = Sources(root=display_path(root), book=book, people=people, programme=programme,
                      participants=participants, papers=papers, resolutions=resolutions, lines=reader.lines,
                      locales=locales)
    return sources, reader.diags


def _without_locale(reader: _Reader, root: Path, book: Book | None, papers: list[Paper],
                    locales: dict[str, Locale]) -> None:
    """A language nothing says the conventions of: of the book, an error; of a paper, a
    warning (the paper is set in the reference locale's conventions)."""
    if not locales:
        return
    if book is not None:
        path = root / "book.yaml"
        lines = reader.lines.get(display_path(path), {})
        for i, lang in enumerate(book.languages):
            if lang not in locales:
                reader.error(path, lines.get(f"languages[{i}]", lines.get("languages", 1)),
                             msg("no locale says how to write '{lang}': add its locale file, "
                                 "locales/{lang}.yaml beside book.yaml (docs/locales.md)", lang=lang),
                             "locale")
    for paper in papers:
        if paper.lang not in locales:
            line = reader.lines.get(paper.path, {}).get("lang", 1)
            reader.diags.add(warning(paper.path, line, msg(
                "no locale says how to write '{lang}', the paper's language: add its locale file, "
                "locales/{lang}.yaml beside book.yaml (docs/locales.md)", lang=paper.lang), "locale"))


def _load_locales(reader: _Reader, folder: Path) -> dict[str, Locale]:
    """The shipped locales, with the book's own (``locales/<lang>.yaml``) on top."""
    try:
        table = dict(shipped())
    except LocaleError as exc:
        reader.diags.extend(exc.diagnostics)
        return {}
    for path in _listed(reader, folder) if folder.is_dir() else []:
        if path.suffix != ".yaml":
            continue
        text = reader.read_text(path)
        if text is None:
            continue
        if not re.fullmatch(r"[a-z]{2,3}", path.stem):
            reader.error(path, 0, msg("a locale file is named by its language's code (de.yaml), not '{name}'",
                                      name=path.name), "locale")
            continue
        locale, problems = read_locale(path, text, path.stem, table.get(path.stem), table.get(REFERENCE))
        reader.diags.extend(problems)
        if locale is not None:
            table[path.stem] = locale
    return table


def _load_record(reader: _Reader, path: Path, model: type[M], *, optional: bool = False) -> M | None:
    if optional and not path.exists():
        return None
    located = reader.parse_file(path)
    if located is None:
        return None
    if not isinstance(located.data, dict):
        reader.error(path, 1, msg("{file} must be a mapping of fields", file=path.name), "type")
        return None
    return reader.validate(model, located.data, path, located)


def _load_people(reader: _Reader, path: Path) -> dict[str, Person] | None:
    located = reader.parse_file(path)
    if located is None:
        return None
    data = located.data if located.data is not None else []
    if not isinstance(data, list):
        reader.error(path, 1, msg("people.yaml must be a list of persons"), "type")
        return None
    people: dict[str, Person] = {}
    for i, item in enumerate(data):
        person = reader.validate(Person, item, path, located, (i,))
        if person is None:
            continue
        if person.id in people:
            line = located.line_of((i, "id"))
            reader.error(path, line, msg("duplicate person id '{id}': give each person an id of their own",
                                         id=person.id), "duplicate-id")
            continue
        people[person.id] = person
    return people


def _listed(reader: _Reader, folder: Path) -> list[Path]:
    """What a folder holds, sorted; nothing, with an error, when it cannot be read."""
    try:
        return sorted(folder.iterdir())
    except OSError as exc:
        reader.error(folder, 0, msg("cannot read the folder: {reason}", reason=str(exc.strerror)), "io")
        return []


def _load_papers(reader: _Reader, folder: Path) -> list[Paper]:
    if not folder.is_dir():
        return []
    papers = []
    for sub in (p for p in _listed(reader, folder) if p.is_dir()):
        paper = _load_paper(reader, sub)
        if paper is not None:
            papers.append(paper)
    return papers


def _read_markdown(reader: _Reader, path: Path) -> tuple[Located, str, int] | None:
    text = reader.read_text(path)
    if text is None:
        return None
    parts = split_front_matter(text)
    if parts is None:
        reader.error(path, 1, msg("missing front matter: the file must start with a '---' block"),
                     "front-matter")
        return None
    front, body, body_line = parts
    too_long = _long_paragraph(body, body_line)
    if too_long is not None:
        line, size = too_long
        reader.error(path, line, msg("paragraph of {size:,} characters; the limit is {limit:,}: split it "
                                     "with blank lines", size=size, limit=MAX_PARAGRAPH_CHARS),
                     "too-large")
        return None
    located = reader.parse(path, front, first_line=2)
    if located is None:
        return None
    if not isinstance(located.data, dict):
        reader.error(path, 2, msg("front matter must be a mapping of fields"), "type")
        return None
    return located, body, body_line


def _long_paragraph(body: str, first_line: int) -> tuple[int, int] | None:
    """(line, characters) of the first block of non-blank lines over the limit, if any."""
    start = size = 0
    for offset, line in enumerate([*body.split("\n"), ""]):
        if line.strip():
            start = offset if size == 0 else start
            size += len(line) + 1
            continue
        if size - 1 > MAX_PARAGRAPH_CHARS:
            return first_line + start, size - 1
        size = 0
    return None


def _load_paper(reader: _Reader, folder: Path) -> Paper | None:
    path = folder / "paper.md"
    read = _read_markdown(reader, path)
    if read is None:
        return None
    located, body, body_line = read
    data = dict(located.data)
    data["references"] = _normalize_references(data.get("references", []), located)
    tables = data.get("tables", [])
    data["tables"] = _with_lines([_cells(t) for t in tables] if isinstance(tables, list) else tables,
                                 "tables", located)
    data["figures"] = _with_lines(data.get("figures", []), "figures", located)
    front = reader.validate(PaperFront, data, path, located)
    if front is None:
        return None
    if front.id is not None and front.id != folder.name:
        reader.error(path, located.line_of(("id",)),
                     msg("id '{id}' differs from the folder name '{folder}'", id=front.id,
                         folder=folder.name),
                     "paper-id")
        return None
    fields = front.model_dump(exclude={"id"})
    try:
        return Paper(
            id=folder.name, path=display_path(path), body=body, body_line=body_line,
            citations=find_citations(body, body_line), **fields,
        )
    except ValidationError:
        reader.error(path, 0, msg("folder name '{folder}' is not a valid paper id", folder=folder.name),
                     "paper-id")
        return None


def _load_resolutions(reader: _Reader, folder: Path) -> list[Resolution]:
    if not folder.is_dir():
        return []
    resolutions = []
    for path in (p for p in _listed(reader, folder) if p.suffix == ".md"):
        read = _read_markdown(reader, path)
        if read is None:
            continue
        located, body, body_line = read
        data = {**located.data, "path": display_path(path), "body": body, "body_line": body_line}
        resolution = reader.validate(Resolution, data, path, located)
        if resolution is not None:
            resolutions.append(resolution)
    return resolutions
