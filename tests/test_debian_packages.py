"""`make run`, `make test` and CI install Debian packages from one list, or say what to run."""

from __future__ import annotations

import os
import pwd
import subprocess
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
SCRIPT = ROOT / "scripts" / "debian-packages"


def _listed(purpose: str) -> list[str]:
    rows = (
        line.split() for line in (ROOT / "requirements" / "debian.txt").read_text().splitlines()
    )
    return [
        row[0] for row in rows if len(row) > 1 and not row[0].startswith("#") and row[1] == purpose
    ]


def test_the_list_names_what_the_suite_needs():
    assert {"chromium", "dovecot-imapd"} <= set(_listed("test"))
    assert {"python3-venv", "make"} <= set(_listed("run"))


def test_make_and_ci_install_from_the_one_list_only():
    makefile = (ROOT / "Makefile").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "scripts/debian-packages run test" in makefile
    assert "scripts/debian-packages run\n" in makefile
    assert "scripts/debian-packages" in ci
    assert "make test" in ci
    assert "apt-get" not in makefile
    assert "apt-get" not in ci


def test_installed_packages_need_nothing(tmp_path):
    listing = tmp_path / "debian.txt"
    listing.write_text("# a comment\nbash  test  # always there\n")
    done = subprocess.run(  # noqa: S603 - our own script
        [str(SCRIPT), "--list", str(listing), "test"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == done.stderr == ""


def test_without_root_a_missing_package_is_one_line_naming_the_command():
    listing = "bash test\nhelpdesk-no-such-package test\nother-purpose run\n"
    nobody = pwd.getpwnam("nobody")

    def as_nobody() -> None:
        os.setgid(nobody.pw_gid)
        os.setuid(nobody.pw_uid)

    env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}
    done = subprocess.run(  # noqa: S603 - our own script
        [str(SCRIPT), "--list", "-", "test"], input=listing,
        capture_output=True, text=True, check=False, env=env,
        preexec_fn=as_nobody if os.geteuid() == 0 else None,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "Missing Debian packages; run: sudo apt-get update && sudo apt-get install -y "
        "--no-install-recommends helpdesk-no-such-package"
    ]
