"""The system libraries PyPI cannot give, and how ``make`` gets them.

Everything the book is built and tested with comes from PyPI into the virtual
environment, but for the libraries WeasyPrint lays text out with: Pango, with GObject,
HarfBuzz and fontconfig, which Pango's own packages bring along. Optional ones: HarfBuzz's
subsetter, with which WeasyPrint and the assembler cut font subsets ten times faster than
fontTools, which does it otherwise; and Enchant with hunspell's Kazakh, Russian and
English dictionaries, which the spelling check reads (without them it says so once, and
the other checks run).

``python3 -m proceedings.system`` (the Makefile runs it before it installs the package,
so it needs nothing but the standard library) checks that each library loads. Where one
does not, it installs the Debian/Ubuntu packages with apt-get when it runs as root, and
otherwise names them in one line. It exits 3 while a library the book cannot be built
without is missing, and 0 otherwise.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

MISSING_DEPENDENCY = 3  # diagnostics.ExitCode.MISSING_DEPENDENCY, without importing the package


@dataclass(frozen=True)
class Library:
    # The file names the loader is asked for, as WeasyPrint asks; or, for a data file
    # (a dictionary), its absolute path.
    names: tuple[str, ...]
    package: str  # the Debian/Ubuntu package that holds it
    needed: bool  # False: the book builds without it
    use: str = "faster font subsets"  # what an optional one is for


LIBRARIES = (
    Library(("libgobject-2.0.so.0", "libgobject-2.0.0.dylib"), "libglib2.0-0", needed=True),
    Library(("libpango-1.0.so.0", "libpango-1.0.dylib"), "libpango-1.0-0", needed=True),
    Library(("libharfbuzz.so.0", "libharfbuzz.0.dylib"), "libharfbuzz0b", needed=True),
    Library(("libfontconfig.so.1", "libfontconfig.1.dylib"), "libfontconfig1", needed=True),
    Library(("libpangoft2-1.0.so.0", "libpangoft2-1.0.dylib"), "libpangoft2-1.0-0", needed=True),
    Library(("libharfbuzz-subset.so.0", "libharfbuzz-subset.0.dylib"), "libharfbuzz-subset0",
            needed=False),
    Library(("libenchant-2.so.2", "libenchant-2.2.dylib"), "libenchant-2-2", needed=False, use="spelling"),
    Library(("/usr/share/hunspell/kk_KZ.dic",), "hunspell-kk", needed=False, use="spelling"),
    Library(("/usr/share/hunspell/ru_RU.dic",), "hunspell-ru", needed=False, use="spelling"),
    Library(("/usr/share/hunspell/en_US.dic",), "hunspell-en-us", needed=False, use="spelling"),
)


def loads(library: Library) -> bool:
    """Whether the dynamic loader finds the library and it loads (a data file: is there)."""
    for name in library.names:
        if name.startswith("/"):
            if os.path.isfile(name):
                return True
            continue
        try:
            ctypes.CDLL(name)
        except OSError:
            continue
        return True
    return False


def missing(libraries: Sequence[Library] = LIBRARIES,
            check: Callable[[Library], bool] = loads) -> list[Library]:
    return [library for library in libraries if not check(library)]


def can_install() -> bool:
    """Root, on a system with apt-get."""
    return os.geteuid() == 0 and shutil.which("apt-get") is not None


def apt_install(packages: Sequence[str]) -> bool:
    """Install ``packages`` with apt-get; whether it went through."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"],
                    ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages]):
        if subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=False).returncode:
            return False
    return True


def advice(absent: Sequence[Library]) -> str:
    """The one line that names what is missing and how to install it."""
    packages = " ".join(library.package for library in absent)
    needed = [library.package for library in absent if library.needed]
    uses: dict[str, list[str]] = {}
    for library in absent:
        if not library.needed:
            uses.setdefault(library.use, []).append(library.package)
    if needed:
        what = f"the system libraries WeasyPrint needs ({', '.join(needed)})"
        if uses:
            what += " and, " + "; ".join(f"for {use}, {', '.join(names)}" for use, names in uses.items())
        what += " are missing"
    else:
        listed = "; ".join(f"{', '.join(names)} ({use})" for use, names in uses.items())
        count = sum(len(names) for names in uses.values())
        what = f"optional: {listed} {'is' if count == 1 else 'are'} not installed"
    return f"proceedings: {what}; to install: sudo apt-get install {packages}"


def main(
    libraries: Sequence[Library] = LIBRARIES,
    check: Callable[[Library], bool] = loads,
    installable: Callable[[], bool] = can_install,
    install: Callable[[Sequence[str]], bool] = apt_install,
) -> int:
    absent = missing(libraries, check)
    if absent and installable():
        packages = [library.package for library in absent]
        print(f"proceedings: installing {' '.join(packages)} with apt-get", file=sys.stderr)
        if install(packages):
            absent = missing(libraries, check)
    if not absent:
        return 0
    print(advice(absent), file=sys.stderr)
    return MISSING_DEPENDENCY if any(library.needed for library in absent) else 0


if __name__ == "__main__":
    sys.exit(main())
