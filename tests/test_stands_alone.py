"""The repository stands alone: a clone has nothing beside it and no particular home, so no
file may point outside it (a sibling `shared` directory) or at one machine's absolute paths
(a workspace root, someone's home directory)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Written so that this file does not match itself.
OUTSIDE = (
    (re.compile(rb"\.\.[/\\]shared\b"), "a sibling shared directory"),
    (re.compile(rb"(?<![\w.:/~-])[/]work(?:[/\\]|\b)"), "an absolute workspace path"),
    (re.compile(rb"(?<![\w.:/~-])[/](?:home|Users)[/]\w"), "a home directory"),
)


def offences(content: bytes) -> list[tuple[int, str]]:
    """(line number, what) for every reference outside the repository in `content`."""
    found = []
    for number, line in enumerate(content.splitlines(), start=1):
        for pattern, what in OUTSIDE:
            if pattern.search(line):
                found.append((number, what))
    return found


def repository_files() -> list[Path]:
    """Tracked files, and new ones not yet added that git would not ignore: a reference is
    caught before it is committed, not after."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: no list of the repository's files")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    paths = {ROOT / name.decode() for name in listed.split(b"\0") if name}
    return sorted(p for p in paths if p.is_file())


def test_no_file_points_outside_the_repository():
    files = repository_files()
    assert len(files) > 100, "git listed too few files to be this repository"
    problems = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in files
        for line, what in offences(path.read_bytes())
    ]
    assert not problems, "references outside the repository:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    "text",
    [
        "the domain is in `" + ".." + "/shared/DOMAIN.md`",
        "see ..\\shared\\DESIGN.md",
        "cd " + "/wo" + "rk/main && make test",
        "DATA=" + "/wo" + "rk",
        "open " + "/ho" + "me/alice/kexie/instance",
        "open " + "/Use" + "rs/bob/kexie",
    ],
)
def test_a_reference_outside_is_caught(text):
    assert offences(text.encode())


@pytest.mark.parametrize(
    "text",
    [
        "https://example.org" + "/wo" + "rk/items",
        "the RQ workers and " + "/wo" + "rkers/",
        "shared with associations (SharedWithAssociations)",
        "PROMETHEUS_MULTIPROC_DIR: /tmp/metrics",
        "instance_path=ROOT / 'instance'",
    ],
)
def test_ordinary_text_is_not_caught(text):
    assert not offences(text.encode())
