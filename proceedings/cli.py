"""The command line: parse arguments, run a stage, print diagnostics, map to exit codes.

This is the only module that prints or exits, but for ``proceedings.system``, which the
Makefile runs before the package is installed.
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from proceedings.diagnostics import BuildError, Diagnostics, ExitCode, Severity, escaped
from proceedings.messages import LANGUAGES, Message, msg, msg_n, translate

if TYPE_CHECKING:
    from proceedings.audit import Figures
    from proceedings.build import BuildOptions, BuildResult
    from proceedings.diagnostics import Diagnostic
    from proceedings.layout.records import Progress
    from proceedings.model import Sources


def _sources_and_out(command: argparse.ArgumentParser, out_help: str = "the output folder") -> None:
    command.add_argument("sources", nargs="?", default="sources", type=Path,
                         help="the sources folder (default: sources)")
    command.add_argument("--out", default=None, type=Path, metavar="DIR",
                         help=f"{out_help} (default: build beside the sources folder, SOURCES/../build)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="proceedings",
        description="Validate and typeset a conference proceedings book.",
    )
    parser.add_argument("--version", action=_Version, help="print the version and exit")
    parser.add_argument("--lang", choices=LANGUAGES, default=None, dest="messages",
                        help="the language of the messages (default: the environment's, LANGUAGE, LC_ALL, "
                        "LC_MESSAGES or LANG, else the book's first language)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = sub.add_parser("check", help="validate the sources and report every problem")
    _sources_and_out(check, "the folder for check-report.html")
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    check.add_argument("--accept", action="append", default=[], metavar="WORD",
                       help="add WORD to the book's word list, SOURCES/words.txt, so that the spelling "
                       "check accepts it (this writes to the sources); may be given more than once")
    fix = sub.add_parser("fix", help="apply safe mechanical fixes to the sources; print each changed word")
    fix.add_argument("sources", nargs="?", default="sources", type=Path,
                     help="the sources folder (default: sources)")
    fix.add_argument("--codes", required=True, type=_fix_codes, metavar="CODE,...",
                     help="the findings to fix: mixed-script, private-use, odd-space, glued-year, "
                          "punctuation-space, quotes")
    fix.add_argument("--write", action="store_true",
                     help="write the fixed files (without it, only print the changes)")
    build = sub.add_parser("build", help="validate and typeset build/proceedings.pdf")
    _sources_and_out(build)
    build.add_argument("--strict", action="store_true", help="treat warnings as errors")
    build.add_argument("--engine", choices=("parts", "single"), default="parts",
                       help="lay out part by part in parallel, with a cache (parts, the default), "
                       "or the whole book as one document (single)")
    build.add_argument("--time-limit", type=_seconds, default=300.0, metavar="SECONDS",
                       help="seconds one paper (or other part) may take to lay out (default: 300)")
    watch = sub.add_parser("watch", help="build, then rebuild whenever a source or style changes")
    _sources_and_out(watch)
    watch.add_argument("--interval", type=_seconds, default=0.3,
                       help="seconds between looks at the files (default: 0.3)")
    for command in (check, fix, build, watch):
        _lang(command)
    for command in (build, watch):
        command.add_argument("--jobs", type=_count, default=None,
                             help="worker processes (default: one per core, as many as the memory "
                             "limit allows)")
        command.add_argument("--memory-limit", type=_count, default=None, metavar="MB",
                             help="megabytes the whole build may take: a third for the main "
                             "process, the rest shared by the workers (default: 1900)")
    printing = sub.add_parser("print", help="typeset the print-ready build/proceedings-print.pdf")
    _sources_and_out(printing)
    printing.add_argument("--override-findings", metavar="REASON", default=None,
                          help="print despite warnings (never errors); REASON is recorded in the PDF")
    _lang(printing)
    proofs = sub.add_parser("proofs", help="author proofs, offprints and index.csv from the built book")
    _sources_and_out(proofs)
    _lang(proofs)
    imports = sub.add_parser("import", help="import authors' Word manuscripts (.docx) into the sources")
    imports.add_argument("files", nargs="+", type=Path, metavar="FILE.docx",
                         help="manuscripts, or folders of them")
    imports.add_argument("--into", default=Path("sources"), type=Path, metavar="SOURCES",
                         help="the sources folder to import into (default: sources)")
    imports.add_argument("--id", default=None, help="the paper's id (one manuscript only; "
                         "default: the file's name when it is an id, else the next pNN)")
    imports.add_argument("--lang", choices=("kk", "ru", "en"), default=None,
                         help="the paper's language (default: told from the text)")
    imports.add_argument("--force", action="store_true", help="replace a paper that exists")
    new = sub.add_parser("new", help="create a small complete book to start from, in a new folder")
    new.add_argument("folder", type=Path, metavar="FOLDER", help="the book's sources folder (new, or empty)")
    _lang(new)
    preflight = sub.add_parser("preflight", help="check a PDF as a print shop would")
    preflight.add_argument("file", type=Path, help="the PDF to check")
    preflight.add_argument("--signature", type=_count, default=None,
                           help="pages per signature (default: 4 with --print, else unchecked)")
    preflight.add_argument("--print", action="store_true", dest="print_pdf",
                           help="a print PDF: also trim and bleed boxes, no RGB, images of 300 dpi")
    _lang(preflight)
    audit = sub.add_parser("audit", help="print the paragraph figures of any PDF (hyphens, loose lines)")
    audit.add_argument("file", type=Path, help="the PDF to measure")
    audit.add_argument("--manifest", type=Path, default=None, metavar="FILE",
                       help="the build's manifest.json, for figures by the papers' languages "
                       "(default: manifest.json beside the PDF, if there is one)")
    audit.add_argument("--json", action="store_true", help="print the figures as JSON")
    _lang(audit)
    return parser


def _lang(command: argparse.ArgumentParser) -> None:
    """``--lang`` after the command too (``import`` has its own: the paper's language; its
    messages take ``proceedings --lang LANG import``)."""
    command.add_argument("--lang", choices=LANGUAGES, default=argparse.SUPPRESS, dest="messages",
                         help="the language of the messages: kk, ru or en (default: the environment's, "
                         "else the book's first language)")


def _choose_language(args: argparse.Namespace) -> None:
    """The run's language for messages: --lang, the environment's, the book's first."""
    import os

    from proceedings.messages import choose, use

    sources = getattr(args, "sources", None) or getattr(args, "into", None)
    use(choose(args.messages, os.environ, _book_languages(sources) if sources is not None else []))


def _book_languages(sources: Path) -> list[str]:
    """book.yaml's languages, read on their own (the sources may not load at all)."""
    from proceedings.yamlsrc import YamlError, parse_yaml

    try:
        with (sources / "book.yaml").open(encoding="utf-8") as file:
            data = parse_yaml(file.read(1_000_000)).data
    except (OSError, UnicodeDecodeError, YamlError, ValueError):
        return []
    languages = data.get("languages") if isinstance(data, dict) else None
    return [str(lang) for lang in languages] if isinstance(languages, list) else []


class _Version(argparse.Action):
    """``--version``: the installed package's version, looked up only when asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("proceedings")
        except PackageNotFoundError:  # run from a checkout that was never installed
            found = "unknown"
        print(f"{parser.prog} {found}")
        parser.exit()


def _count(text: str) -> int:
    """A number of workers or pages: a whole number from 1 up."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number from 1 up")
    return value


def _seconds(text: str) -> float:
    """A time: a number of seconds above 0."""
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds above 0")
    return value


def _fix_codes(text: str) -> list[str]:
    from proceedings.fix import FIXABLE

    codes = [c.strip() for c in text.split(",") if c.strip()]
    unknown = [c for c in codes if c not in FIXABLE]
    if unknown or not codes:
        raise argparse.ArgumentTypeError(
            f"cannot fix {', '.join(unknown) or 'nothing'}; fixable codes: {', '.join(FIXABLE)}"
        )
    return codes


def _write_report(out: Path, diagnostics: Diagnostics, sources_dir: Path, sources: Sources | None,
                  figures: list[Figures] | None = None) -> None:
    from proceedings.report import write_report

    try:
        path = write_report(out, diagnostics, sources, root=sources_dir, figures=figures)
    except OSError as exc:
        _say(msg("could not write the check report: {reason}", reason=str(exc)))
        return
    _say(msg("wrote {file}", file=_shown(path)))


def _say(message: Message) -> None:
    """One line of the command's own, ``proceedings: …``, in the run's language."""
    print(f"proceedings: {translate(message)}", file=sys.stderr)


def _shown(path: object) -> str:
    """A path as printed: a folder's name must not write to the terminal (see Diagnostic)."""
    return escaped(str(path))


def _accept(sources: Path, words: list[str]) -> None:
    """``check --accept``: the words go into the book's word list, which is a source file."""
    from proceedings.check.spelling import WORDS_FILE, accept

    path = _shown(sources / WORDS_FILE)
    try:
        added = accept(sources, words)
    except OSError as exc:
        _say(msg("could not add to {file}: {reason}", file=path, reason=str(exc)))
        return
    listed = ", ".join(f"'{escaped(word)}'" for word in added or words)
    if added:
        _say(msg("added {words} to {file}, the book's word list", words=listed, file=path))
    else:
        _say(msg("{file} already lists {words}", file=path, words=listed))


def _report(diagnostics: Diagnostics, *, strict: bool, tiers: Sequence[str] = (),
            always: bool = False) -> None:
    """The findings by tier, what blocks printing first (``triage``), then their count;
    ``always``: the count even of none, so that a clean check says it ran."""
    from proceedings.triage import detail, triaged

    for diag in triaged(diagnostics):
        print(diag, file=sys.stderr)
    if len(diagnostics) or always:
        summary = diagnostics.summary(strict=strict, detail=detail(diagnostics, tiers))
        print(f"proceedings: {summary}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    args = _parser().parse_args(argv)
    _choose_language(args)
    if getattr(args, "out", "") is None:  # without --out: the book's own build/, beside its sources
        from proceedings.build import default_out

        args.out = default_out(args.sources)
    if args.command not in ("build", "watch", "print", "proofs"):
        return _run(args)
    # This process is held to its share of the memory limit while the command runs (from
    # before the workers' server starts: it is a process of the build too), and no longer:
    # a program that calls main() keeps its own limit.
    previous = resource.getrlimit(resource.RLIMIT_DATA) if hasattr(resource, "RLIMIT_DATA") else None
    try:
        _limit_memory(args)
        return _run(args)
    finally:
        if previous is not None:
            resource.setrlimit(resource.RLIMIT_DATA, previous)


def _run(args: argparse.Namespace) -> int:
    if args.command in ("build", "watch", "print", "proofs") and getattr(args, "engine", "") != "single":
        from proceedings.layout.workers import start_workers

        start_workers()  # the workers' server imports WeasyPrint while this process goes on
    if args.command == "check":
        from proceedings.build import check

        if args.accept:
            _accept(args.sources, args.accept)
        sources, diags = check(args.sources)
        tiers = sources.book.strict if sources is not None else []
        _report(diags, strict=args.strict, tiers=tiers, always=True)
        # Last, after the findings and their count: where the report went.
        _write_report(args.out, diags, args.sources, sources)
        from proceedings.triage import failed_tiers

        failed = diags.failed(strict=args.strict) or bool(failed_tiers(diags, tiers))
        return ExitCode.SOURCE_ERRORS if failed else ExitCode.OK
    if args.command == "fix":
        return _fix(args)
    if args.command == "print":
        return _print(args)
    if args.command == "proofs":
        return _proofs(args)
    if args.command == "import":
        return _import(args)
    if args.command == "new":
        return _new(args.folder)
    if args.command == "preflight":
        return _preflight(args.file, signature=args.signature, print_pdf=args.print_pdf)
    if args.command == "watch":
        return _watch(args)
    if args.command == "audit":
        return _audit(args.file, args.manifest, as_json=args.json)
    from proceedings.build import build

    try:
        result = build(_build_options(args, engine=args.engine, strict=args.strict,
                                      time_limit=args.time_limit))
    except BuildError as exc:
        _report(Diagnostics(exc.diagnostics), strict=args.strict)
        return ExitCode.SOURCE_ERRORS
    except (MemoryError, RuntimeError) as exc:
        if isinstance(exc, RuntimeError) and "can't start new thread" not in str(exc):
            raise  # only that RuntimeError is memory running out: a thread's stack is memory too
        _report(Diagnostics([_out_of_memory(args)]), strict=args.strict)
        return ExitCode.SOURCE_ERRORS
    _announce_build(result, args.out, args.sources, strict=args.strict)
    return ExitCode.OK


def _build_options(args: argparse.Namespace, **more: object) -> BuildOptions:
    from proceedings.build import BuildOptions

    limit = {"memory_limit": args.memory_limit} if getattr(args, "memory_limit", None) else {}
    return BuildOptions(sources=args.sources, out=args.out, jobs=args.jobs, progress=_progress(),
                        **limit, **more)  # type: ignore[arg-type]  # the fields named above


def _limit_memory(args: argparse.Namespace) -> None:
    """Hold this process to its share of the build's memory limit (``MemoryPlan``);
    the workers are given theirs as they start. Only the workers' module is imported:
    a command that lays nothing out (proofs of a built book) does not wait for the rest."""
    from proceedings.layout.workers import DEFAULT_MEMORY_MB, MemoryPlan, limit_memory

    # The print PDF is laid out as one document, in this process: it has the whole limit.
    engine = "single" if args.command == "print" else getattr(args, "engine", "parts")
    plan = MemoryPlan.for_build(getattr(args, "memory_limit", None) or DEFAULT_MEMORY_MB, engine,
                                getattr(args, "jobs", None))
    if plan is not None:
        limit_memory(plan.main, caller=True)
        args.main_memory = plan.main


def _out_of_memory(args: argparse.Namespace) -> Diagnostic:
    from proceedings.diagnostics import error

    return error(_shown(args.sources), 0, msg("the build needed more than {limit:,} MB in its main process "
                                              "(its share of --memory-limit); raise the limit",
                                              limit=args.main_memory), "memory-limit")


def _announce_build(result: BuildResult, out: Path, sources_dir: Path, *, strict: bool) -> None:
    _report(result.diagnostics, strict=strict)
    pages = result.manifest.get("pages")
    _say(msg_n("wrote {pdf} ({n} page) and {manifest}", "wrote {pdf} ({n} pages) and {manifest}",
               pages if isinstance(pages, int) else 0, pdf=_shown(result.pdf),
               manifest=_shown(out / "manifest.json")))
    # Only beside a book that was built: a failed build leaves the output folder untouched.
    _write_report(out, result.diagnostics, sources_dir, result.sources, result.figures)


def _progress() -> Progress | None:
    """A progress bar on a terminal; nothing in logs."""
    if not sys.stderr.isatty():
        return None

    def show(key: str, done: int, total: int) -> None:
        _bar(done, total, f"laid out {key}")

    return show


def _bar(done: int, total: int, what: str) -> None:
    """A progress bar, redrawn in place on the terminal; the last one ends its line."""
    filled = round(24 * done / total)
    bar = "#" * filled + "-" * (24 - filled)
    end = "\n" if done == total else ""
    print(f"\r\033[K[{bar}] {done}/{total} {what}", end=end, file=sys.stderr, flush=True)


def _watch(args: argparse.Namespace) -> int:
    from proceedings.watch import watch

    def on_build(outcome: BuildResult | BuildError, seconds: float) -> None:
        if isinstance(outcome, BuildError):
            _report(Diagnostics(outcome.diagnostics), strict=False)
            _say(msg("not built ({seconds:.1f} s); waiting for changes", seconds=seconds))
        else:
            _announce_build(outcome, args.out, args.sources, strict=False)
            _say(msg("built in {seconds:.1f} s; waiting for changes", seconds=seconds))

    with contextlib.suppress(KeyboardInterrupt):  # how a watch is ended
        watch(_build_options(args), on_build=on_build, stop=lambda: False, interval=args.interval)
    return ExitCode.OK


def _fix(args: argparse.Namespace) -> int:
    from proceedings.fix import apply, plan

    fixes, diags = plan(args.sources, args.codes)
    if diags.failed() and not fixes:  # sources that do not load cannot be fixed by text edits
        _report(diags, strict=False)
        return ExitCode.SOURCE_ERRORS
    for fix in fixes:
        for change in fix.changes():
            print(change)
    if args.write:
        apply(fixes)
    codes = ", ".join(args.codes)
    if args.write and fixes:
        _say(msg_n("fixed {n} file for {codes}: {files}", "fixed {n} files for {codes}: {files}", len(fixes),
                   codes=codes, files=", ".join(_shown(fix.path) for fix in fixes)))
    elif args.write:
        _say(msg_n("fixed {n} file for {codes}", "fixed {n} files for {codes}", len(fixes), codes=codes))
    else:
        _say(msg_n("would fix {n} file for {codes} (run with --write to apply)",
                   "would fix {n} files for {codes} (run with --write to apply)", len(fixes), codes=codes))
    return ExitCode.OK


def _print(args: argparse.Namespace) -> int:
    from proceedings.printing import PrintOptions, print_book

    override = args.override_findings
    try:
        result = print_book(PrintOptions(sources=args.sources, out=args.out, override=override))
    except BuildError as exc:
        _report(Diagnostics(exc.diagnostics), strict=override is None)
        if override is None:
            _say(msg("a print PDF needs a book without warnings; to print anyway, give --override-findings "
                     "REASON"))
        return ExitCode.SOURCE_ERRORS
    _report(result.diagnostics, strict=False)
    if result.overridden_warnings:
        _say(msg("NOTICE: {n} warnings overridden: {reason} (recorded in the PDF as /ProceedingsOverride)",
                 n=result.overridden_warnings, reason=str(override)))
    _say(msg("wrote {pdf} ({pages} pages, {blank} blank)", pdf=_shown(result.pdf), pages=result.pages,
             blank=result.blank_pages))
    assert result.pdf is not None
    code = _preflight(result.pdf, signature=None, print_pdf=True)
    return ExitCode.RENDER_FAILED if code == ExitCode.SOURCE_ERRORS else code


def _proofs(args: argparse.Namespace) -> int:
    from proceedings.proofs import ProofOptions, make_proofs

    try:
        result = make_proofs(ProofOptions(sources=args.sources, out=args.out))
    except BuildError as exc:
        _report(Diagnostics(exc.diagnostics), strict=False)
        return ExitCode.SOURCE_ERRORS
    out = args.out
    if result.rebuilt:
        _say(msg("the book was out of date and was rebuilt: wrote {pdf} and {manifest}",
                 pdf=_shown(out / "proceedings.pdf"), manifest=_shown(out / "manifest.json")))
    _say(msg("wrote {proofs} proofs in {proofs_folder}, {offprints} offprints in {offprints_folder}, and "
             "{index}", proofs=len(result.proofs), proofs_folder=_shown(out / "proofs"),
             offprints=len(result.offprints), offprints_folder=_shown(out / "offprints"),
             index=_shown(result.index)))
    return ExitCode.OK


def _import(args: argparse.Namespace) -> int:
    from proceedings.importer import ImportOptions, import_manuscripts

    def show(done: int, total: int, name: str) -> None:
        if sys.stderr.isatty():
            _bar(done, total, f"read {escaped(name)}")
        else:
            _say(msg("read {done}/{total} {name}", done=done, total=total, name=escaped(name)))

    result = import_manuscripts(ImportOptions(files=args.files, into=args.into, id=args.id, lang=args.lang,
                                              force=args.force, progress=show))
    _report(result.diagnostics, strict=False)
    failed = result.diagnostics.count(Severity.ERROR)
    people = _shown(args.into / "people.yaml")
    if failed:
        _say(msg_n("imported {n} paper(s) in {seconds:.1f} s, {failed} manuscript(s) not imported; {people} "
                   "new people in {file}", "imported {n} paper(s) in {seconds:.1f} s, {failed} manuscript(s) "
                   "not imported; {people} new people in {file}", len(result.written), seconds=result.seconds,
                   failed=failed, people=len(result.people_added), file=people))
    else:
        _say(msg_n("imported {n} paper(s) in {seconds:.1f} s; {people} new people in {file}",
                   "imported {n} paper(s) in {seconds:.1f} s; {people} new people in {file}",
                   len(result.written), seconds=result.seconds, people=len(result.people_added), file=people))
    for path, source in zip(result.written, result.sources, strict=True):
        _say(msg("wrote {file} (from {source})", file=_shown(path), source=_shown(source)))
    return ExitCode.SOURCE_ERRORS if failed else ExitCode.OK


def _new(folder: Path) -> int:
    from proceedings.starter import StarterError, create

    try:
        written = create(folder)
    except StarterError as exc:
        _say(msg("error: {problem}", problem=exc.message))
        return ExitCode.SOURCE_ERRORS
    _say(msg("wrote {folder}: {files}", folder=_shown(folder),
             files=", ".join(p.as_posix() for p in written)))
    _say(msg("change what their comments say, then run: proceedings check {folder}", folder=_shown(folder)))
    return ExitCode.OK


def _audit(path: Path, manifest: Path | None, *, as_json: bool) -> int:
    import json

    from pypdfium2 import PdfiumError

    from proceedings.audit import table
    from proceedings.pdfaudit import audit_pdf

    if manifest is None and (path.parent / "manifest.json").is_file():
        manifest = path.parent / "manifest.json"
    try:
        rows = audit_pdf(path, manifest)
    except (OSError, PdfiumError) as exc:
        from proceedings.diagnostics import error

        print(error(_shown(path), 0, msg("cannot be read as a PDF ({reason})", reason=_shown(exc)),
                    "audit-unreadable"), file=sys.stderr)
        return ExitCode.SOURCE_ERRORS
    if as_json:
        print(json.dumps([row.row() for row in rows], ensure_ascii=False, indent=1))
    else:
        print(table(rows))
    return ExitCode.OK


def _preflight(path: Path, *, signature: int | None, print_pdf: bool) -> int:
    from proceedings.preflight import PreflightOptions, preflight

    if signature is None and print_pdf:
        signature = 4
    found = preflight(path, PreflightOptions(signature=signature, print=print_pdf))
    for diag in found:
        print(diag, file=sys.stderr)
    if found:
        _say(msg_n("preflight refused {file}: {n} problem", "preflight refused {file}: {n} problems",
                   len(found), file=_shown(path)))
        return ExitCode.SOURCE_ERRORS
    _say(msg("preflight passed {file}", file=_shown(path)))
    return ExitCode.OK


def main_entry() -> None:
    """Console-script entry point."""
    try:
        code = main()
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)
