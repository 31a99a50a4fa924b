"""The command line: parse arguments, run a stage, print diagnostics, map to exit codes.

This is the only module that prints or exits.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from proceedings.diagnostics import BuildError, Diagnostics, ExitCode


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="proceedings",
        description="Validate and typeset a conference proceedings book.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    check = sub.add_parser("check", help="validate the sources and report every problem")
    check.add_argument("sources", nargs="?", default="sources", type=Path,
                       help="the sources folder (default: sources)")
    check.add_argument("--strict", action="store_true", help="treat warnings as errors")
    build = sub.add_parser("build", help="validate and typeset build/proceedings.pdf")
    build.add_argument("sources", nargs="?", default="sources", type=Path,
                       help="the sources folder (default: sources)")
    build.add_argument("--out", default="build", type=Path,
                       help="the output folder (default: build)")
    build.add_argument("--strict", action="store_true", help="treat warnings as errors")
    return parser


def _report(diagnostics: Diagnostics, *, strict: bool) -> None:
    for diag in diagnostics:
        print(diag, file=sys.stderr)
    if len(diagnostics):
        print(f"proceedings: {diagnostics.summary(strict=strict)}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    args = _parser().parse_args(argv)
    if args.command == "check":
        from proceedings.build import check

        _, diags = check(args.sources)
        _report(diags, strict=args.strict)
        return ExitCode.SOURCE_ERRORS if diags.failed(strict=args.strict) else ExitCode.OK
    from proceedings.build import BuildOptions, build

    try:
        result = build(BuildOptions(sources=args.sources, out=args.out, strict=args.strict))
    except BuildError as exc:
        _report(Diagnostics(exc.diagnostics), strict=args.strict)
        return ExitCode.SOURCE_ERRORS
    _report(result.diagnostics, strict=args.strict)
    pages = result.manifest.get("pages")
    print(f"proceedings: wrote {result.pdf} ({pages} pages)", file=sys.stderr)
    return ExitCode.OK


def main_entry() -> None:
    """Console-script entry point."""
    try:
        code = main()
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)
