"""A federation's own sign-in for its officers and education supervisors, through real
providers (django-cas-server and oidc-provider on loopback): an existing account found by
its e-mail address and linked once its holder confirms; never an account made, never a role
given; and never into another federation, with two federations' servers that know the same
user name."""

from __future__ import annotations

import requests
import sqlalchemy as sa

from service.audit.models import PlatformAuditEvent
from service.auth.models import User
from service.auth.roles import Role
from service.sso import federation as sso_federation
from service.sso.models import FederationSsoLink
from tenants.db import db
from tenants.scope import Scope, system_scope, use_scope
from tests.sso.test_cas import _ticket_back
from tests.sso.test_oidc import SERVICE, _at_provider


def _provider(federation_id: int, server, **options) -> int:
    with use_scope(Scope.federation(federation_id)):
        provider = sso_federation.configure(
            federation_id, kind="cas", name="省科协统一身份认证", server_url=server.url, **options
        )
        db.session.commit()
        return provider.id


def _oidc_provider(federation_id: int, server, **options) -> int:
    client_id, secret = server.register(
        f"{SERVICE}/sso/federation/{federation_id}/oidc", f"{SERVICE}/login"
    )
    with use_scope(Scope.federation(federation_id)):
        provider = sso_federation.configure(
            federation_id,
            kind="oidc",
            name="省科协统一身份认证",
            discovery_url=server.discovery_url,
            client_id=client_id,
            client_secret=secret,
            **options,
        )
        db.session.commit()
        return provider.id


def _with_email(user: User, email: str) -> None:
    with system_scope("test: the account's address on file"):
        db.session.get(User, user.id).email = email
        db.session.commit()


def _federation_sign_in(client, federation_id: int, username: str, browser=None):
    start = client.get(f"/sso/federation/{federation_id}/login")
    assert start.status_code == 302
    return client.get(_ticket_back(start.location, username, browser))


def _signed_in_id(client) -> int | None:
    """The account the client is signed in as (its own link page names nothing else)."""
    page = client.get("/account/password")
    if page.status_code != 200:
        return None
    with client.session_transaction() as session:
        token = session.get("_user_id")
    with system_scope("test: whose session"):
        return db.session.scalar(sa.select(User.id).where(User.session_token == token))


def _links() -> list[tuple[int, int, str]]:
    with system_scope("test: every federation link"):
        return db.session.execute(
            sa.select(
                FederationSsoLink.federation_id,
                FederationSsoLink.user_id,
                FederationSsoLink.subject,
            )
        ).all()


def _accounts() -> int:
    with system_scope("test: how many accounts"):
        return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def test_an_officer_links_the_existing_account_once_confirmed(app, world, client, cas):
    fed = world.a.federation
    officer = world.a.users[Role.FEDERATION_OFFICER]
    _with_email(officer, "Zhang3@zju.edu.cn")
    _provider(fed.id, cas)
    accounts = _accounts()

    back = _federation_sign_in(client, fed.id, "zhang3")
    assert back.status_code == 302 and back.location.endswith(f"/sso/federation/{fed.id}/link")
    page = client.get(back.location).get_data(as_text=True)
    assert officer.username in page and fed.name in page
    assert _signed_in_id(client) is None  # nothing before the confirmation
    refused = client.post(back.location, data={})
    assert refused.status_code == 400 and _links() == []
    done = client.post(back.location, data={"confirm": "y"})
    assert done.status_code == 302
    assert _signed_in_id(client) == officer.id
    assert _links() == [(fed.id, officer.id, "zhang3")]
    assert _accounts() == accounts  # no account made
    with system_scope("test: the account and the log"):
        db.session.expire_all()
        assert db.session.get(User, officer.id).role == Role.FEDERATION_OFFICER.value
        event = db.session.scalar(
            sa.select(PlatformAuditEvent).where(
                PlatformAuditEvent.action == "sso_link",
                PlatformAuditEvent.entity_id == str(officer.id),
            )
        )
        assert event.changes["federation"] == fed.id  # in the platform's log: no tenant
        db.session.expunge_all()

    # Next time: straight in, nothing asked.
    again = app.test_client()
    back = _federation_sign_in(again, fed.id, "zhang3")
    assert back.status_code == 302 and not back.location.endswith("/link")
    assert _signed_in_id(again) == officer.id


def test_no_matching_account_means_no_access_and_no_account(app, world, client, cas):
    fed = world.a.federation
    _provider(fed.id, cas)
    # A member of the federation's association with that address is not federation staff.
    with system_scope("test: a member account with li4's address"):
        db.session.get(User, world.a.first.users[Role.MEMBER].id).email = "li4@zju.edu.cn"
        db.session.commit()
    accounts = _accounts()
    back = _federation_sign_in(client, fed.id, "li4")
    assert back.status_code == 403
    assert "平台运维人员" in back.get_data(as_text=True)
    assert _signed_in_id(client) is None and _accounts() == accounts and _links() == []
    assert client.get(f"/sso/federation/{fed.id}/link").location.endswith("/login")


def test_two_accounts_with_one_address_are_not_guessed_between(app, world, client, cas):
    fed = world.a.federation
    _provider(fed.id, cas)
    for role in (Role.FEDERATION_OFFICER, Role.EDUCATION_SUPERVISOR):
        _with_email(world.a.users[role], "zhang3@zju.edu.cn")
    assert _federation_sign_in(client, fed.id, "zhang3").status_code == 403
    assert _links() == []


def test_one_user_name_at_two_federations_never_crosses(app, world, client, cas, other_cas):
    """zhang3 at federation A's server is A's officer; zhang3 at B's server (another
    server, the same name and address) reaches B's account only, and a ticket of A's server
    is worthless at B; an association's provider never reaches an officer's account."""
    fa, fb = world.a.federation, world.b.federation
    a_officer, b_supervisor = (
        world.a.users[Role.FEDERATION_OFFICER],
        world.b.users[Role.EDUCATION_SUPERVISOR],
    )
    _with_email(a_officer, "zhang3@zju.edu.cn")
    _provider(fa.id, cas)
    _provider(fb.id, other_cas)

    # B has nobody with the address yet: refused, A's officer untouched.
    at_b = app.test_client()
    assert _federation_sign_in(at_b, fb.id, "zhang3").status_code == 403
    assert _signed_in_id(at_b) is None

    client.post(_federation_sign_in(client, fa.id, "zhang3").location, data={"confirm": "y"})
    assert _signed_in_id(client) == a_officer.id

    # B's own supervisor with the same address: B's sign-in links B's account, not A's.
    _with_email(b_supervisor, "zhang3@zju.edu.cn")
    at_b = app.test_client()
    back = _federation_sign_in(at_b, fb.id, "zhang3")
    assert back.location.endswith(f"/sso/federation/{fb.id}/link")
    assert b_supervisor.username in at_b.get(back.location).get_data(as_text=True)
    at_b.post(back.location, data={"confirm": "y"})
    assert _signed_in_id(at_b) == b_supervisor.id
    assert sorted(_links()) == sorted(
        [(fa.id, a_officer.id, "zhang3"), (fb.id, b_supervisor.id, "zhang3")]
    )

    # A ticket A's server issued for A's return address, replayed at B's.
    thief = app.test_client()
    start = thief.get(f"/sso/federation/{fa.id}/login").location
    ticket = _ticket_back(start, "zhang3").split("?", 1)[1]
    thief.get(f"/sso/federation/{fb.id}/login")
    crossed = thief.get(f"/sso/federation/{fb.id}/cas?{ticket}")
    assert crossed.status_code == 403 and _signed_in_id(thief) is None
    # ... and at A's return address without having started there: back to the login page.
    stranger = app.test_client()
    assert stranger.get(f"/sso/federation/{fa.id}/cas?{ticket}").location.endswith("/login")
    assert _signed_in_id(stranger) is None

    # An association of A whose university's server is the same one: zhang3 there is a
    # university person, never the officer.
    association = world.a.first.association
    from tests.sso.test_cas import _provider as _association_provider
    from tests.sso.test_cas import _university_sign_in

    _association_provider(association.id, cas)
    member_side = app.test_client()
    back = _university_sign_in(member_side, association.id, "zhang3")
    assert back.location.endswith(f"/sso/{association.id}/no-record")
    assert _signed_in_id(member_side) is None
    # A sign-in started for the association is nothing at the federation's return address.
    started = app.test_client()
    ticket = _ticket_back(started.get(f"/sso/{association.id}/login").location, "zhang3")
    query = ticket.split("?", 1)[1]
    assert started.get(f"/sso/federation/{fa.id}/cas?{query}").location.endswith("/login")
    assert _signed_in_id(started) is None


def test_an_officer_unlinks_and_is_asked_again(app, world, client, cas):
    fed = world.b.federation
    officer = world.b.users[Role.FEDERATION_OFFICER]
    _with_email(officer, "li4@zju.edu.cn")
    _provider(fed.id, cas)
    client.post(_federation_sign_in(client, fed.id, "li4").location, data={"confirm": "y"})
    assert _signed_in_id(client) == officer.id
    page = client.get("/sso/account").get_data(as_text=True)
    assert 'id="sso-linked"' in page and "省科协统一身份认证" in page
    done = client.post("/sso/account/unlink", data={"confirm": "y"})
    assert done.location.endswith("/login") and _signed_in_id(client) is None
    assert _links() == []
    back = _federation_sign_in(app.test_client(), fed.id, "li4")
    assert back.location.endswith(f"/sso/federation/{fed.id}/link")  # confirmation again


def test_the_operator_unlinks_an_officer(app, world, client, cas):
    fed = world.a.federation
    officer = world.a.users[Role.FEDERATION_OFFICER]
    _with_email(officer, "zhang3@zju.edu.cn")
    _provider(fed.id, cas)
    client.post(_federation_sign_in(client, fed.id, "zhang3").location, data={"confirm": "y"})
    operator = app.test_client().login_as(world.operator)
    page = operator.get(f"/sso/federation/{fed.id}/settings").get_data(as_text=True)
    assert officer.username in page and f"/sso/accounts/{officer.id}/unlink" in page
    # An association's administrator does not reach a federation's account.
    admin = app.test_client().login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    assert (
        admin.post(f"/sso/accounts/{officer.id}/unlink", data={"confirm": "y"}).status_code == 404
    )
    done = operator.post(f"/sso/accounts/{officer.id}/unlink", data={"confirm": "y"})
    assert done.location.endswith(f"/sso/federation/{fed.id}/settings")
    assert _links() == [] and _signed_in_id(client) is None
    with system_scope("test: the log"):
        event = db.session.scalar(
            sa.select(PlatformAuditEvent).where(
                PlatformAuditEvent.action == "sso_unlink",
                PlatformAuditEvent.entity_id == str(officer.id),
            )
        )
        assert event.changes["by"] == "administrator"
        assert event.actor.startswith(f"user:{world.operator.id} ")


def test_the_officer_sets_the_federation_sign_in_and_the_login_page_offers_it(app, world, cas):
    fed = world.a.federation
    officer = app.test_client().login_as(world.a.users[Role.FEDERATION_OFFICER])
    bad = officer.post(
        "/sso/federation/settings",
        data={"kind": "cas", "name": "x", "server_url": "http://cas.example.cn/cas",
              "version": "3", "match_attribute": "email"},
    )  # fmt: skip
    assert bad.status_code == 400 and "https://" in bad.get_data(as_text=True)
    saved = officer.post(
        "/sso/federation/settings",
        data={"kind": "cas", "name": "省科协统一身份认证", "server_url": cas.url,
              "version": "3", "match_attribute": "email"},
    )  # fmt: skip
    assert saved.status_code == 302
    assert cas.url in officer.get("/sso/federation/settings").get_data(as_text=True)
    supervisor = app.test_client().login_as(world.a.users[Role.EDUCATION_SUPERVISOR])
    assert supervisor.get("/sso/federation/settings").status_code == 403
    login = app.test_client().get("/login").get_data(as_text=True)
    assert f"/sso/federation/{fed.id}/login" in login and "联合组织工作人员" in login
    assert f"/sso/federation/{world.b.federation.id}/login" not in login
    # The other federation has none: its sign-in address answers 404.
    assert (
        app.test_client().get(f"/sso/federation/{world.b.federation.id}/login").status_code == 404
    )


def test_an_officer_signs_in_through_the_federation_s_oidc_provider(app, world, client, oidc):
    fed = world.b.federation
    officer = world.b.users[Role.FEDERATION_OFFICER]
    _with_email(officer, "zhang3@hznu.edu.cn")
    _oidc_provider(fed.id, oidc)
    start = client.get(f"/sso/federation/{fed.id}/login")
    back = client.get(_at_provider(start.location, "zhang3", requests.Session()))
    assert back.location.endswith(f"/sso/federation/{fed.id}/link")
    client.post(back.location, data={"confirm": "y"})
    assert _signed_in_id(client) == officer.id
    assert _links() == [(fed.id, officer.id, _links()[0][2])]
    # Signing out goes on to the federation's provider's end-session.
    out = client.post("/logout")
    assert out.location.startswith(oidc.issuer) and "id_token_hint" in out.location


def test_an_officer_still_gives_the_second_factor_after_the_federation_s_sign_in(
    app, world, client, cas, monkeypatch
):
    monkeypatch.setitem(app.config, "SECOND_FACTOR_REQUIRED", True)
    fed = world.a.federation
    officer = world.a.users[Role.FEDERATION_OFFICER]
    _with_email(officer, "zhang3@zju.edu.cn")
    _provider(fed.id, cas)
    back = _federation_sign_in(client, fed.id, "zhang3")
    held = client.post(back.location, data={"confirm": "y"})
    assert "second-factor" in held.location and _signed_in_id(client) is None
    assert _links() == [(fed.id, officer.id, "zhang3")]  # linked; the sign-in waits
    again = app.test_client()
    assert "second-factor" in _federation_sign_in(again, fed.id, "zhang3").location
    assert _signed_in_id(again) is None


def test_mfa_asserted_by_the_federation_s_provider_counts_where_the_federation_says(
    app, world, client, oidc, monkeypatch
):
    monkeypatch.setitem(app.config, "SECOND_FACTOR_REQUIRED", True)
    fed = world.a.federation
    officer = world.a.users[Role.FEDERATION_OFFICER]
    _with_email(officer, "wang5@hznu.edu.cn")  # wang5's sign-in asserts amr otp
    _oidc_provider(fed.id, oidc, mfa_counts=True)
    start = client.get(f"/sso/federation/{fed.id}/login")
    back = client.get(_at_provider(start.location, "wang5", requests.Session()))
    client.post(back.location, data={"confirm": "y"})
    assert _signed_in_id(client) == officer.id


def test_signing_out_at_the_federation_s_server_ends_the_session_here(app, world, cas):
    import threading
    import time
    from http.server import HTTPServer

    from tests.sso.test_cas import _LogoutRequests

    fed = world.b.federation
    officer = world.b.users[Role.FEDERATION_OFFICER]
    _with_email(officer, "zhang3@zju.edu.cn")
    _provider(fed.id, cas)
    listener = HTTPServer(("127.0.0.1", 0), _LogoutRequests)
    threading.Thread(target=listener.serve_forever, daemon=True).start()
    try:
        client = app.test_client()
        base, opened = f"http://127.0.0.1:{listener.server_port}", client.open
        client.open = lambda *args, **kwargs: opened(*args, **{"base_url": base, **kwargs})
        browser = requests.Session()  # the officer's browser at the federation's server
        back = _federation_sign_in(client, fed.id, "zhang3", browser)
        client.post(back.location, data={"confirm": "y"})
        assert client.get("/account/password").status_code == 200
        _LogoutRequests.received.clear()
        browser.get(f"{cas.url}/logout", timeout=10)
        for _ in range(100):
            if _LogoutRequests.received:
                break
            time.sleep(0.1)
        (logout_request,) = _LogoutRequests.received
    finally:
        listener.shutdown()
    # Another federation's (and an association's) address does not know the ticket.
    other = world.a.federation.id
    app.test_client().post(f"/sso/federation/{other}/cas", data={"logoutRequest": logout_request})
    app.test_client().post(
        f"/sso/{world.b.first.association.id}/cas", data={"logoutRequest": logout_request}
    )
    assert client.get("/account/password").status_code == 200
    done = app.test_client().post(
        f"/sso/federation/{fed.id}/cas", data={"logoutRequest": logout_request}
    )
    assert done.status_code == 200
    assert client.get("/account/password").status_code != 200
