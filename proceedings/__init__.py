"""Typeset a conference's validated records into a print-ready proceedings book."""

__version__ = "0.1.0"
