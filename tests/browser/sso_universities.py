"""The universities' identity providers for the browser tests, set up in the live server's
database as `make sso-demo` sets them up for the demo (tests/sso/demo.py): 浙江大学 signs in
at a CAS server, 杭州师范大学 at an OpenID Connect provider; and 浙江工业大学 at a CAS server
of its own, which knows the same user names, for the cross-tenant attempt.

Run in the live server's environment (its DATABASE_URL, its SECRET_KEY, so the sealed client
secret opens there): `python -m tests.browser.sso_universities CAS_A CAS_B ISSUER SECRET`
prints the people of each university as JSON."""

from __future__ import annotations

import json
import sys

from tests.sso import demo

PASSWORD = demo.PASSWORD


def configure(cas_a: str, cas_b: str, oidc_issuer: str, oidc_secret: str) -> dict:
    """The demo's two universities, and 浙江工业大学 with `cas_b`: its 3120001 is another
    person with the same user name as 浙江大学's."""
    from service import create_app
    from service.audit.services import set_actor
    from service.sso import services as sso
    from tenants.db import db
    from tenants.scope import Scope, use_scope

    people = demo._configure(cas_a, oidc_issuer, oidc_secret)
    app = create_app()
    with app.app_context():
        set_actor("cli:browser-tests")
        zjut, _email, _name = demo._university("浙江工业大学")
        with use_scope(Scope.association(zjut)):
            sso.configure_cas(zjut, name="浙江工业大学统一身份认证", server_url=cas_b, version=3)
            db.session.commit()
    people["zjut"] = (zjut, [
        {"username": "3120001", "password": PASSWORD, "email": "someone.else@zjut.edu.cn",
         "last_name": "孙", "first_name": "另"},
    ])  # fmt: skip
    return people


if __name__ == "__main__":
    print(json.dumps(configure(*sys.argv[1:5])))
