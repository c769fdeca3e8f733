"""`make sso-demo`: the demo beside a local CAS server for 浙江大学 (django-cas-server), so
that a member signs in with the university's account and sees 我的会员信息.

Run after `flask seed-demo` (the Makefile does). Prints the university accounts; Ctrl-C
stops the CAS server and the service."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from tests.sso import servers

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "zju-cas-2026"


def _configure(cas_url: str) -> tuple[int, list[dict]]:
    """Point 浙江大学's association at the CAS server; the university's people: one with a
    member record (linked at the first sign-in), one without (may apply)."""
    from service import create_app
    from service.audit.services import set_actor
    from service.members.models import Member
    from service.sso import services as sso
    from tenants.db import db
    from tenants.models import Association
    from tenants.scope import Scope, system_scope, use_scope

    app = create_app()
    with app.app_context():
        set_actor("cli:sso-demo")
        with system_scope("sso demo: find 浙江大学 and a member record without an account"):
            association = db.session.scalar(
                sa.select(Association)
                .where(Association.name.startswith("浙江大学"))
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
            association_id, email, name = association.id, member.email, member.name
        with use_scope(Scope.association(association_id)):
            sso.configure_cas(
                association_id, name="浙江大学统一身份认证", server_url=cas_url, version=3
            )
            db.session.commit()
    people = [
        {"username": "3120001", "password": PASSWORD, "email": email,
         "last_name": name[:1], "first_name": name[1:]},
        {"username": "3120002", "password": PASSWORD, "email": "new.person@zju.edu.cn",
         "last_name": "赵", "first_name": "新"},
    ]  # fmt: skip
    return association_id, people


def main() -> None:
    port = int(os.environ.get("PORT", "5000"))
    cas_port = int(os.environ.get("CAS_PORT", "8765"))
    workdir = ROOT / "instance" / "sso-demo"
    cas_url = f"http://127.0.0.1:{cas_port}/cas"
    association_id, people = _configure(cas_url)
    pattern = r"^http://(127\.0\.0\.1|localhost):\d+/sso/.*"
    with servers.cas_server(workdir, people, pattern, port=cas_port):
        print(f"CAS server for 浙江大学 at {cas_url}")
        print(f"Sign in at http://127.0.0.1:{port}/login → 您的学校: 浙江大学科学技术协会")
        print(f"  3120001 / {PASSWORD}: has a member record: consent, then 我的会员信息")
        print(f"  3120002 / {PASSWORD}: no record: the application form, pre-filled")
        print(f"  (straight to it: http://127.0.0.1:{port}/sso/{association_id}/login)")
        flask = [sys.executable, "-m", "flask", "run", "--host", "127.0.0.1", "--port", str(port)]
        with contextlib.suppress(KeyboardInterrupt):
            subprocess.run(flask, cwd=ROOT, check=False)


if __name__ == "__main__":
    main()
