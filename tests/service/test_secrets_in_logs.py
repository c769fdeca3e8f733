"""No secret in any log. The set-password token and the applicant's tracking key travel
after `#` and in POST bodies, never in a URL; the request log and gunicorn's access log
redact them anyway where an old link still carries one; API tokens are read from the
Authorization header only."""

from __future__ import annotations

import io
import logging
import re
import runpy
from datetime import timedelta
from pathlib import Path

import pytest

from service.auth.roles import Role
from service.observability import JsonFormatter
from service.redaction import redact
from tests import factories

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


@pytest.fixture
def request_log(caplog):
    """Every line our loggers write, as the JSON handler writes it; and the request lines
    as a plain handler would write them too (the message with its arguments)."""
    caplog.set_level(logging.INFO, logger="kexie")

    def text() -> str:
        records = [r for r in caplog.records if r.name.startswith("kexie")]
        assert records, "nothing was logged"
        formatter = JsonFormatter()
        return "\n".join(
            formatter.format(r) + ("\n" + r.getMessage() if r.name == "kexie.request" else "")
            for r in records
        )

    return text


def _secret_parts(token: str) -> list[str]:
    """The token and every long part of it: none may be logged, even alone."""
    return [token, *(part for part in re.split(r"[.#]", token) if len(part) >= 12)]


def test_the_set_password_flow_logs_no_token(app, client, world, request_log):
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    url = f"/establishment/{world.a.application[0]}"
    client.post(url, data={"decision": "approve", "document_number": "浙科协函〔2〕"})
    token = factories.set_password_token(client.get(url).get_data(as_text=True))

    holder = app.test_client()
    assert holder.get("/account/set-password").status_code == 200
    assert holder.post("/account/set-password", data={"token": token}).status_code == 200
    password = {"token": token, "new": "the-holders-own-2026", "confirm": "the-holders-own-2026"}
    assert holder.post("/account/set-password", data=password).status_code == 302
    # A link in the old shape, with the token in the path, as someone may still paste one.
    assert holder.get(f"/account/set-password/{token}").status_code == 404

    logged = request_log()
    assert "/account/set-password" in logged and "[redacted]" in logged
    for secret in _secret_parts(token):
        assert secret not in logged


def test_the_tracking_flow_logs_no_key(app, client, world, request_log):
    data = factories.application_data()
    data.update(federation_id=str(world.a.federation.id), charter_accepted="y")
    data["documents"] = [(io.BytesIO(factories.PDF_BYTES), "学校批复.pdf")]
    submitted = client.post("/establishment/apply", data=data)
    key = factories.tracking_key(submitted.get_data(as_text=True))

    applicant = app.test_client()
    assert applicant.get("/establishment/track").status_code == 200
    page = applicant.post("/establishment/track", data={"key": key}).get_data(as_text=True)
    document = re.search(r'action="(/establishment/track/documents/\d+)"', page)[1]
    assert applicant.post(document, data={"key": key}).data == factories.PDF_BYTES
    # The applicant's link from before the key moved after "#": it still leads there.
    old = applicant.get(f"/establishment/track/{key}")
    assert old.status_code == 302 and old.headers["Location"].endswith(f"#{key}")
    assert applicant.get(f"/establishment/track/{key}/documents/1").status_code == 404

    logged = request_log()
    assert "/establishment/track" in logged and "[redacted]" in logged
    assert key not in logged


def test_an_api_token_is_read_from_the_header_only_and_never_logged(client, world, request_log):
    plaintext = world.a.first.tokens["ro"][1]
    assert (
        client.get(
            "/api/v1/associations/", headers={"Authorization": f"Bearer {plaintext}"}
        ).status_code
        == 200
    )
    for url in (
        f"/api/v1/associations/?access_token={plaintext}",
        f"/api/v1/associations/?token={plaintext}",
    ):
        assert client.get(url).status_code == 401
    logging.getLogger("kexie.test").info("a token pasted into a message: %s", plaintext)
    logged = request_log()
    # The secret is all after `kx_<prefix>_`; token_urlsafe may put "_" inside it too.
    secret = plaintext.split("_", 2)[2]
    assert plaintext not in logged and secret not in logged


def test_redaction_rules():
    assert redact("/establishment/track/abcDEF_123-x") == "/establishment/track/[redacted]"
    assert (
        redact("/establishment/track/k3y/documents/4")
        == "/establishment/track/[redacted]/documents/4"
    )
    assert redact("/establishment/track/documents/4") == "/establishment/track/documents/4"
    assert redact("/account/set-password/eyJs.Zz.Yy") == "/account/set-password/[redacted]"
    assert redact("/x?page=2&token=abc&key=def") == "/x?page=2&token=[redacted]&key=[redacted]"
    assert redact("/members/?q=%E5%BC%A0&page=2") == "/members/?q=%E5%BC%A0&page=2"
    assert redact("token=abc&page=2") == "token=[redacted]&page=2"  # a query string alone


class _Response:
    status = "302 FOUND"
    headers = [("Location", "/establishment/track#the-key")]
    sent = 0


class _Request:
    headers = [("X-REQUEST-ID", "r1234567")]


def test_the_gunicorn_access_log_keeps_no_secret(capsys):
    """The shipped format and logger class, and a format that logs everything a request
    line has (the raw request line, path, query string, referrer)."""
    from gunicorn.config import Config

    settings = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    key, token = "Applicant-Key_0123456789abcdef", "eyJsIjoxfQ.aBcDeFgHiJkL.ZyXwVuTsRq"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/establishment/track/{key}?token={token}",
        "PATH_INFO": f"/establishment/track/{key}",
        "QUERY_STRING": f"token={token}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": f"https://kexie.example.edu.cn/account/set-password/{token}",
    }
    for access_format in (settings["access_log_format"], "%(r)s | %(U)s | %(q)s | %(f)s"):
        config = Config()
        config.set("accesslog", "-")
        config.set("access_log_format", access_format)
        config.set("logger_class", settings["logger_class"])
        logger = config.logger_class(config)
        logger.access(_Response(), _Request(), environ, timedelta(milliseconds=3))
    out = capsys.readouterr().out
    assert "/establishment/track/[redacted]" in out and "token=[redacted]" in out
    assert key not in out and token not in out


def test_the_nginx_access_log_redacts_old_links():
    """nginx's map (PCRE) applied here with Python's re, which reads the same pattern once
    its named groups are spelled the Python way."""
    for site in ("kexie.conf", "compose.conf"):
        text = (DEPLOY / "nginx" / site).read_text()
        assert re.search(r"access_log \S+ kexie;", text), site
        assert "$request " not in text.split("log_format kexie", 1)[1].split(";", 1)[0]
        pattern, replacement = re.search(
            r'map \$request_uri \$kexie_logged_uri \{.*?"~(.+?)" "(.+?)";', text, re.DOTALL
        ).groups()
        rule = re.compile(pattern.replace("(?<", "(?P<"))
        for uri, logged in (
            ("/establishment/track/SeCrEt-key_1?x=1", "/establishment/track/[redacted]"),
            (
                "/establishment/track/SeCrEt/documents/3",
                "/establishment/track/[redacted]/documents/3",
            ),
            ("/account/set-password/eyJ.a.b", "/account/set-password/[redacted]"),
        ):
            match = rule.match(uri)
            assert match, (site, uri)
            result = replacement
            for name, value in match.groupdict().items():
                result = result.replace("${" + name + "}", value)
            assert result == logged, (site, uri, result)
        assert rule.match("/establishment/track/documents/3") is None
