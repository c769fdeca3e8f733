"""What a log may not keep of a URL: one-time tokens, tracking keys, API tokens.

The service no longer puts any of them in a URL (they travel in a POST body or in the
fragment after `#`, which browsers do not send), so these rules are the second wall: for
links given out before that, for a client that puts a token where it should not, and for a
path pasted into a message. The app's JSON log and gunicorn's access log both use them.
Plain functions, no Flask: gunicorn's logger imports this module.
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"

# A path segment holding a secret: the old set-password links, and the applicant's old
# tracking links (`/establishment/track/<key>[/documents/<id>]`); `documents` itself is a
# route name, not a key.
_SECRET_SEGMENT = re.compile(
    r"(/account/set-password/|/establishment/track/)(?!documents(?:[/?#\s]|$))[^/?#\s\"]+"
)
# An API token (`kx_<prefix>_<secret>`), wherever it appears: the prefix identifies it, the
# secret goes.
_API_TOKEN = re.compile(r"\b(kx_[0-9a-f]{8}_)[A-Za-z0-9_\-]+")
# Query parameters whose value is a credential, whatever the route.
SECRET_PARAMETERS = frozenset(
    {"token", "key", "access_token", "api_key", "apikey", "password", "secret", "signature"}
)
_NAMES = "|".join(sorted(SECRET_PARAMETERS))
# In a URL, or a query string on its own (gunicorn's %(q)s).
_SECRET_PARAMETER = re.compile(rf"((?:^|[?&])(?:{_NAMES})=)[^&\s#\"]*", re.IGNORECASE)


def redact(text: str) -> str:
    """The text (a path, a request line, a log message) with every known secret replaced."""
    text = _SECRET_SEGMENT.sub(lambda m: m.group(1) + REDACTED, text)
    text = _API_TOKEN.sub(lambda m: m.group(1) + REDACTED, text)
    return _SECRET_PARAMETER.sub(lambda m: m.group(1) + REDACTED, text)
