"""The system libraries PyPI cannot give, and how ``make`` gets them.

Everything the book is built and tested with comes from PyPI into the virtual
environment, but for the libraries WeasyPrint lays text out with: Pango, with GObject,
HarfBuzz and fontconfig, which Pango's own packages bring along. HarfBuzz's subsetter is
optional: with it WeasyPrint and the assembler cut font subsets ten times faster than
fontTools, which does it otherwise.

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
    names: tuple[str, ...]  # the file names the loader is asked for, as WeasyPrint asks
    package: str  # the Debian/Ubuntu package that holds it
    needed: bool  # False: the book builds without it, more slowly


LIBRARIES = (
    Library(("libgobject-2.0.so.0", "libgobject-2.0.0.dylib"), "libglib2.0-0", needed=True),
    Library(("libpango-1.0.so.0", "libpango-1.0.dylib"), "libpango-1.0-0", needed=True),
    Library(("libharfbuzz.so.0", "libharfbuzz.0.dylib"), "libharfbuzz0b", needed=True),
    Library(("libfontconfig.so.1", "libfontconfig.1.dylib"), "libfontconfig1", needed=True),
    Library(("libpangoft2-1.0.so.0", "libpangoft2-1.0.dylib"), "libpangoft2-1.0-0", needed=True),
    Library(("libharfbuzz-subset.so.0", "libharfbuzz-subset.0.dylib"), "libharfbuzz-subset0",
            needed=False),
)


def loads(library: Library) -> bool:
    """Whether the dynamic loader finds the library and it loads."""
    for name in library.names:
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
    optional = [library.package for library in absent if not library.needed]
    if needed:
        what = f"the system libraries WeasyPrint needs ({', '.join(needed)})"
        if optional:
            what += f" and, for faster font subsets, {', '.join(optional)}"
        what += " are missing"
    else:
        what = f"optional: {', '.join(optional)} (faster font subsets) is not installed"
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
