"""Security at the edge: headers on every response (a strict Content-Security-Policy, HSTS
and friends), ids in URLs bounded to what the database can hold, and no control characters
in any text a request brings.

Our own pages carry no inline script or style, so the policy allows only files from this
origin. The API documentation pages are rendered by flask-smorest's templates, which hold a
small inline block: their policy admits exactly those blocks by hash, never by
'unsafe-inline' for scripts, and still loads nothing from another origin.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, current_app, request
from flask_smorest import abort

from service.validation import has_control_characters

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


def content_security_policy(response: Response) -> str:
    path = request.path.rstrip("/")
    policy = _docs_policy(response, path) if _is_docs_page(path) else STRICT
    return "; ".join(f"{directive} {sources}" for directive, sources in policy.items())


def add_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy(response))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    # Browsers remember HSTS for a year: never send it from a developer's plain-HTTP server.
    if current_app.config["APP_ENV"] != "development":
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(key)
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def refuse_control_characters() -> None:
    """NUL (which PostgreSQL refuses to store) and direction overrides (which make a name
    read differently from what it is) have no place in any field: refused before any view
    runs, for every form and API operation alike."""
    texts = [*request.args.values(), *request.form.values()]
    if request.is_json:
        texts.extend(_texts(request.get_json(silent=True)))
    if any(has_control_characters(text) for text in texts):
        abort(400, message="Text may not contain control characters or direction overrides.")


def install(app: Flask) -> None:
    """Before the blueprints: their rules must be built with the bounded id converter."""
    from service.extensions import api
    from service.rest import IdConverter, id_parameter_schema

    app.url_map.converters["int"] = IdConverter
    api.register_converter(IdConverter, id_parameter_schema)
    app.before_request(refuse_control_characters)
    app.after_request(add_headers)
