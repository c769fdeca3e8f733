"""Single sign-on: an association's CAS provider and a user's link to it."""

from __future__ import annotations

from service.auth.models import User
from service.sso.models import IdentityProvider, SsoLink
from tenants.db import db
from tenants.models import Association


def make_sso_link(association: Association, user: User) -> SsoLink:
    """The association's sign-in provider, with `user` linked to a subject of it."""
    provider = IdentityProvider(
        tenant_id=association.id,
        name="统一身份认证",
        server_url=f"https://cas{association.id}.example.edu.cn/cas",
    )
    db.session.add(provider)
    db.session.flush()
    link = SsoLink(
        tenant_id=association.id,
        provider_id=provider.id,
        subject=f"member{user.id}",
        user_id=user.id,
    )
    db.session.add(link)
    return link
