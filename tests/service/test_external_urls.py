"""Nothing a page loads comes from another host: no CDN, no web font, no tracker.

Only references that make a browser fetch something count (src=, href=, CSS url() and
@import); the vendored scripts' licence comments and string constants naming URLs do not.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "service" / "web"
FETCHING_REFERENCE = re.compile(
    r"""(?:\b(?:src|href|action|srcset|poster|data)\s*=\s*["']?"""
    r"""|\burl\(\s*["']?"""
    r"""|@import\s+(?:url\(\s*)?["']?)"""
    r"""(?P<url>(?:[a-z][a-z0-9+.-]*:)?//[^\s"')>]+)""",
    re.IGNORECASE,
)
TEXT_SUFFIXES = {".html", ".css", ".js", ".svg", ".json", ".txt", ".md"}


def external_references(text: str) -> list[str]:
    return [m.group("url") for m in FETCHING_REFERENCE.finditer(text)]


def _web_files() -> list[Path]:
    return sorted(
        path
        for folder in (WEB / "templates", WEB / "static")
        for path in folder.rglob("*")
        if path.is_file() and path.suffix in TEXT_SUFFIXES
    )


@pytest.mark.parametrize(
    "sample",
    [
        '<script src="https://cdn.example.com/x.js"></script>',
        "<link rel=stylesheet href=//fonts.example.com/css>",
        "body { background: url( 'http://img.example.com/a.png') }",
        '@import "https://fonts.example.com/css2";',
        "@import url(//fonts.example.com/css2);",
        '<form action="https://collector.example.com/">',
    ],
)
def test_the_check_catches_each_kind_of_reference(sample):
    assert external_references(sample)


@pytest.mark.parametrize(
    "sample",
    [
        '<script src="/static/app.js"></script>',
        "<a href=\"{{ url_for('web.home') }}\">",
        "/*! licence: see https://example.com/LICENSE */",
        'const docs = "https://example.com/docs";',
        "background: url(data:image/svg+xml;base64,AAAA)",
    ],
)
def test_the_check_lets_local_references_and_mere_mentions_pass(sample):
    assert external_references(sample) == []


def test_no_template_or_static_file_references_another_host():
    files = _web_files()
    assert any(p.name == "base.html" for p in files)
    assert any(p.name == "redoc.standalone.js" for p in files)
    found = {
        str(path.relative_to(ROOT)): refs
        for path in files
        if (refs := external_references(path.read_text(encoding="utf-8", errors="replace")))
    }
    assert found == {}
