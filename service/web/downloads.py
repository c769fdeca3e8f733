"""What pages hand out as files: exports and templates as attachments, never cached."""

from __future__ import annotations

import io

from flask import Response, send_file

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"


def download(content: bytes | str, filename: str, mimetype: str) -> Response:
    """`content` as an attachment named `filename` (any script: the name is RFC 5987-encoded)."""
    data = content.encode() if isinstance(content, str) else content
    return send_file(
        io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=filename, max_age=0
    )
