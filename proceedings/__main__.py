"""``python -m proceedings``."""

from proceedings.cli import main_entry

main_entry()
