"""Compile the translation catalogues with polib, so a machine without GNU gettext (no msgfmt)
can still run the app in every language. The `.mo` files are build output, not in git."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


def catalogues() -> list[Path]:
    """Every `<locale path>/<language>/LC_MESSAGES/*.po`."""
    found: list[Path] = []
    for base in settings.LOCALE_PATHS:
        found += sorted(Path(base).glob("*/LC_MESSAGES/*.po"))
    return found


def compile_catalogue(po_path: Path, mo_path: Path) -> None:
    """Write the `.mo` atomically: other processes may be reading it (or compiling it too)."""
    catalogue = polib.pofile(str(po_path))
    descriptor, temporary = tempfile.mkstemp(dir=mo_path.parent, suffix=".mo.tmp")
    os.close(descriptor)
    try:
        catalogue.save_as_mofile(temporary)
        os.chmod(temporary, 0o644)
        os.replace(temporary, mo_path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class Command(BaseCommand):
    help = "Compile locale/*/LC_MESSAGES/*.po to .mo with polib (skips up-to-date catalogues)."

    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Compile even when the .mo is up to date."
        )

    def handle(self, *args, force: bool = False, **options):
        compiled, fresh = [], 0
        for po_path in catalogues():
            mo_path = po_path.with_suffix(".mo")
            if not force and mo_path.exists() and mo_path.stat().st_mtime > po_path.stat().st_mtime:
                fresh += 1
                continue
            compile_catalogue(po_path, mo_path)
            compiled.append(f"{po_path.parent.parent.name}/{po_path.name}")
        names = f" ({', '.join(compiled)})" if compiled else ""
        self.stdout.write(
            f"Translations: {len(compiled)} compiled{names}, {fresh} already up to date."
        )
