"""`make sso-demo`: the demo beside a local CAS server for 浙江大学 (django-cas-server) and a
local OpenID Connect provider for 杭州师范大学 (oidc-provider, on Node), so that a member signs
in with the university's account and sees 我的会员信息.

Run after `flask seed-demo` (the Makefile does). Prints the university accounts; Ctrl-C
stops the providers and the service."""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from tests.sso import servers

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "zju-cas-2026"
DEMO_CLIENT = "kexie-demo"
HZNU_PASSWORD = "hznu-oidc-2026"


def _university(prefix: str) -> tuple[int, str, str]:
    """The association whose name starts with `prefix`, and a member record of it without
    an account: (association id, the member's e-mail, the member's name)."""
    from service.members.models import Member
    from tenants.db import db
    from tenants.models import Association
    from tenants.scope import system_scope

    with system_scope(f"sso demo: find {prefix} and a member record without an account"):
        association = db.session.scalar(
            sa.select(Association)
            .where(Association.name.startswith(prefix))
            .order_by(sa.func.length(Association.name))
        )
        member = db.session.scalar(
            sa.select(Member)
            .where(
                Member.tenant_id == association.id,
                Member.user_id.is_(None),
                Member.status == "active",
                Member.email.is_not(None),
            )
            .order_by(Member.id)
        )
        return association.id, member.email, member.name


def _configure(cas_url: str, oidc_issuer: str, oidc_secret: str) -> dict:
    """Point 浙江大学's association at the CAS server and 杭州师范大学's at the OIDC provider;
    each university's people: one with a member record (linked at the first sign-in), one
    without (may apply)."""
    from service import create_app
    from service.audit.services import set_actor
    from service.sso import oidc
    from service.sso import services as sso
    from tenants.db import db
    from tenants.scope import Scope, use_scope

    app = create_app()
    with app.app_context():
        set_actor("cli:sso-demo")
        zju, zju_email, zju_name = _university("浙江大学")
        with use_scope(Scope.association(zju)):
            sso.configure_cas(zju, name="浙江大学统一身份认证", server_url=cas_url, version=3)
            db.session.commit()
        hznu, hznu_email, hznu_name = _university("杭州师范大学")
        with use_scope(Scope.association(hznu)):
            oidc.configure_oidc(
                hznu,
                name="杭州师范大学统一身份认证",
                discovery_url=f"{oidc_issuer}{oidc.WELL_KNOWN}",
                client_id=DEMO_CLIENT,
                client_secret=oidc_secret,
            )
            db.session.commit()
    return {
        "zju": (zju, [
            {"username": "3120001", "password": PASSWORD, "email": zju_email,
             "last_name": zju_name[:1], "first_name": zju_name[1:]},
            {"username": "3120002", "password": PASSWORD, "email": "new.person@zju.edu.cn",
             "last_name": "赵", "first_name": "新"},
        ]),
        "hznu": (hznu, [
            {"username": "2021001", "password": HZNU_PASSWORD, "email": hznu_email,
             "name": hznu_name},
            {"username": "2021002", "password": HZNU_PASSWORD, "email": "new.person@hznu.edu.cn",
             "name": "钱新"},
        ]),
    }  # fmt: skip


def _oidc_client(port: int, secret: str) -> dict:
    """The service, registered at 杭州师范大学's provider, as it is reached in a browser."""
    bases = [f"http://{host}:{port}" for host in ("127.0.0.1", "localhost")]
    return {
        "client_id": DEMO_CLIENT,
        "client_secret": secret,
        "redirect_uris": [f"{base}/sso/{{association}}/oidc" for base in bases],
        "post_logout_redirect_uris": [f"{base}/login" for base in bases],
        # The provider tells the service when a sign-in there ends (back-channel logout).
        "backchannel_logout_uri": f"{bases[0]}/sso/{{association}}/oidc/logout",
        "backchannel_logout_session_required": True,
        "grant_types": ["authorization_code"],
        "response_types": ["code"],
    }


def main() -> None:
    port = int(os.environ.get("PORT", "5000"))
    cas_port = int(os.environ.get("CAS_PORT", "8765"))
    oidc_port = int(os.environ.get("OIDC_PORT", "8766"))
    workdir = ROOT / "instance" / "sso-demo"
    cas_url = f"http://127.0.0.1:{cas_port}/cas"
    oidc_issuer = f"http://127.0.0.1:{oidc_port}"
    secret = secrets.token_urlsafe(24)
    people = _configure(cas_url, oidc_issuer, secret)
    (zju, zju_people), (hznu, hznu_people) = people["zju"], people["hznu"]
    client = _oidc_client(port, secret)
    client["redirect_uris"] = [u.format(association=hznu) for u in client["redirect_uris"]]
    client["backchannel_logout_uri"] = client["backchannel_logout_uri"].format(association=hznu)
    pattern = r"^http://(127\.0\.0\.1|localhost):\d+/sso/.*"
    with (
        servers.cas_server(workdir, zju_people, pattern, port=cas_port),
        servers.oidc_provider(workdir, hznu_people, clients=[client], port=oidc_port),
    ):
        print(f"CAS server for 浙江大学 at {cas_url}")
        print(f"OIDC provider for 杭州师范大学 at {oidc_issuer}")
        print(f"Sign in at http://127.0.0.1:{port}/login → 您的学校")
        print(f"  浙江大学科学技术协会 (CAS): http://127.0.0.1:{port}/sso/{zju}/login")
        print(f"    3120001 / {PASSWORD}: has a member record: consent, then 我的会员信息")
        print(f"    3120002 / {PASSWORD}: no record: the application form, pre-filled")
        print(f"  杭州师范大学 (OpenID Connect): http://127.0.0.1:{port}/sso/{hznu}/login")
        print(f"    2021001 / {HZNU_PASSWORD}: has a member record: consent, then 我的会员信息")
        print(f"    2021002 / {HZNU_PASSWORD}: no record: the application form, pre-filled")
        flask = [sys.executable, "-m", "flask", "run", "--host", "127.0.0.1", "--port", str(port)]
        with contextlib.suppress(KeyboardInterrupt):
            subprocess.run(flask, cwd=ROOT, check=False)


if __name__ == "__main__":
    main()
