"""Security at the edge: headers on every response (a strict Content-Security-Policy, HSTS
and friends), ids in URLs bounded to what the database can hold, and no control characters,
broken characters or absurd nesting in any text a request brings.

Our own pages carry no inline script or style, so the policy allows only files from this
origin. The API documentation pages are rendered by flask-smorest's templates, which hold a
small inline block: their policy admits exactly those blocks by hash, never by
'unsafe-inline' for scripts, and still loads nothing from another origin.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, request
from flask_smorest import abort

from service.i18n import gettext as _
from service.validation import has_broken_characters, has_control_characters

STRICT = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}

_INLINE = {
    "script-src": re.compile(r"<script>(.*?)</script>", re.DOTALL),
    "style-src": re.compile(r"<style>(.*?)</style>", re.DOTALL),
}

# Deeper than any request body needs; far below the JSON parser's recursion limit.
MAX_JSON_DEPTH = 32

HSTS = "max-age=31536000; includeSubDomains"


def _hash(source: str) -> str:
    digest = hashlib.sha256(source.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


def _docs_policy(response: Response, path: str) -> dict[str, str]:
    """The strict policy, plus the hashes of the docs page's own inline blocks."""
    policy = dict(STRICT)
    html = response.get_data(as_text=True)
    for directive, pattern in _INLINE.items():
        hashes = [_hash(block) for block in pattern.findall(html)]
        if hashes:
            policy[directive] = " ".join([policy[directive], *hashes])
    if path.endswith("/redoc"):
        # ReDoc styles itself at run time (styled-components inserts <style> elements whose
        # content no hash can predict) and parses the spec in a worker made from a blob.
        policy["style-src"] = "'self' 'unsafe-inline'"
        policy["worker-src"] = "'self' blob:"
    return policy


def _is_docs_page(path: str) -> bool:
    prefix = current_app.config["OPENAPI_URL_PREFIX"].rstrip("/")
    docs = current_app.config["OPENAPI_SWAGGER_UI_PATH"]
    redoc = current_app.config["OPENAPI_REDOC_PATH"]
    return path in (f"{prefix}/{docs}", f"{prefix}/{redoc}")


def allow_form_target(url: str) -> None:
    """Admit `url`'s origin in this page's form-action. Browsers hold every redirect that
    follows a form's submission to the policy of the page that submitted it, so a form that
    leads, through the service's own redirect, to a university's sign-in (the login page's
    university picker) or its end-session (the sign-out button) needs that origin."""
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc and "'" not in parts.netloc:
        g.setdefault("form_targets", set()).add(f"{parts.scheme}://{parts.netloc}")


def _policy_text(policy: dict[str, str]) -> str:
    return "; ".join(f"{directive} {sources}" for directive, sources in policy.items())


STRICT_POLICY = _policy_text(STRICT)


def content_security_policy(response: Response) -> str:
    path = request.path.rstrip("/")
    targets = g.get("form_targets")
    if not targets and not _is_docs_page(path):
        return STRICT_POLICY
    policy = _docs_policy(response, path) if _is_docs_page(path) else STRICT
    if targets:
        policy = {**policy, "form-action": " ".join(["'self'", *sorted(targets)])}
    return _policy_text(policy)


_HEADERS = tuple(
    (name.lower(), name, value)
    for name, value in (
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    )
)


def add_headers(response: Response) -> Response:
    """Each header unless the view set its own: the headers' names read once, each missing
    one appended (Werkzeug's `setdefault` scans every header twice for each)."""
    headers = response.headers
    present = {name.lower() for name, _value in headers.items()}
    if "content-security-policy" not in present:
        headers.add("Content-Security-Policy", content_security_policy(response))
    for key, name, value in _HEADERS:
        if key not in present:
            headers.add(name, value)
    # Browsers remember HSTS for a year: never send it from a developer's plain-HTTP server.
    hsts = current_app.config["APP_ENV"] != "development"
    if hsts and "strict-transport-security" not in present:
        headers.add("Strict-Transport-Security", HSTS)
    return response


def _json_texts(body: Any) -> list[str]:
    """Every string of a parsed JSON body, keys included. Walked without recursion, and
    refused past MAX_JSON_DEPTH: no operation takes anything nested that deep."""
    texts, stack = [], [(body, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            abort(400, message=_("The JSON body is nested too deeply."))
        if isinstance(value, str):
            texts.append(value)
        elif isinstance(value, dict):
            texts.extend(key for key in value if isinstance(key, str))
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
    return texts


def _json_body() -> Any:
    try:
        return request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser's stack: no view would take it
        abort(400, message=_("The JSON body is nested too deeply."))


def refuse_hostile_text() -> None:
    """Refused before any view runs, for every form, query and API operation alike: NUL
    (which PostgreSQL refuses to store), direction overrides (which make a name read
    differently from what it is), broken characters (a lone surrogate cannot be stored, and
    U+FFFD stands for bytes that were not UTF-8), and JSON nested past any schema."""
    texts = [*request.args.values()]
    if request.content_type or request.content_length:  # without a body, no form to parse
        texts.extend(request.form.values())
    texts.extend(v for v in (request.view_args or {}).values() if isinstance(v, str))
    if request.is_json:
        texts.extend(_json_texts(_json_body()))
    if any(has_control_characters(text) for text in texts):
        abort(400, message=_("Text may not contain control characters or direction overrides."))
    if any(has_broken_characters(text) for text in texts):
        abort(400, message=_("The text holds a broken character (not valid Unicode)."))


def install(app: Flask) -> None:
    """Before the blueprints: their rules must be built with the bounded id converter."""
    from service.extensions import api
    from service.rest import IdConverter, id_parameter_schema

    app.url_map.converters["int"] = IdConverter
    api.register_converter(IdConverter, id_parameter_schema)
    app.before_request(refuse_hostile_text)
    app.after_request(add_headers)
