"""Signing in through an association's OpenID Connect provider: the authorization-code flow
with PKCE (Authlib as the client), the ID token checked with joserfc (Authlib's own JOSE
library): its signature by the provider's published keys, and its iss, aud, exp and nonce.

Everything the flow needs comes from the provider's discovery document, fetched by the URL
the association configured; the document must name the issuer it was fetched under (OpenID
Connect Discovery 4.3), so a provider can answer only for itself. State, nonce and PKCE
verifier are made per sign-in, held in the person's session (the verifier sealed) and bound
to the association the sign-in was started for. The client secret is kept sealed
(service/auth/sealed.py) and never logged. Services take the session and never commit."""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import requests
import sqlalchemy as sa
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from service.auth import sealed
from service.i18n import lazy_gettext as _l
from service.sso.models import IdentityProvider, MatchField, ProviderKind
from service.sso.services import (
    VALIDATE_TIMEOUT,
    Assertion,
    SsoError,
    assertion_of,
    check_match_field,
)
from tenants.db import db

WELL_KNOWN = "/.well-known/openid-configuration"
SCOPES = ("openid", "email", "profile", "phone")
# amr values (RFC 8176) that say more than a password was asked.
MFA_AMR = frozenset({"mfa", "otp", "hwk"})
METADATA_SECONDS = 300  # the discovery document and keys, kept this long in the process
LEEWAY = 60  # seconds of clock difference allowed on exp/iat

_metadata: dict[str, tuple[float, dict]] = {}


class MissingSecret(SsoError):
    """A new OIDC provider without its client secret."""


def _loopback(host: str | None) -> bool:
    return host in ("127.0.0.1", "localhost", "::1")


def _reached_safely(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http" and _loopback(parts.hostname))


def checked_discovery_url(discovery_url: str) -> str:
    discovery_url = discovery_url.strip()
    if not _reached_safely(discovery_url):
        raise SsoError(_l("The discovery address starts with https://."))
    if not discovery_url.endswith(WELL_KNOWN):
        raise SsoError(_l("The discovery address ends with /.well-known/openid-configuration."))
    return discovery_url


def configure_oidc(
    association_id: int,
    *,
    name: str,
    discovery_url: str,
    client_id: str,
    client_secret: str | None,
    match_field: str = MatchField.EMAIL.value,
    match_attribute: str = "email",
    members_without_password: bool = False,
    mfa_counts: bool = False,
    mfa_acr_values: str = "",
) -> IdentityProvider:
    """Set the association's OpenID Connect provider (made or replaced). A blank secret
    keeps the one stored; the secret is stored sealed."""
    discovery_url = checked_discovery_url(discovery_url)
    check_match_field(match_field)
    provider = db.session.scalar(
        sa.select(IdentityProvider).where(IdentityProvider.tenant_id == association_id)
    ) or IdentityProvider(tenant_id=association_id)
    secret = (client_secret or "").strip()
    if not secret and (provider.kind != ProviderKind.OIDC or not provider.client_secret):
        raise MissingSecret(_l("Enter the client secret the university gave."))
    provider.kind = ProviderKind.OIDC.value
    provider.name = name.strip()[:100]
    provider.server_url = discovery_url
    provider.client_id = client_id.strip()[:200]
    if secret:
        provider.client_secret = sealed.seal(secret)
    provider.match_field = match_field
    provider.match_attribute = match_attribute.strip()[:64]
    provider.members_without_password = members_without_password
    provider.mfa_counts = mfa_counts
    provider.mfa_acr_values = " ".join(mfa_acr_values.split())[:300]
    provider.enabled = True
    db.session.add(provider)
    db.session.flush()
    return provider


def _get_json(url: str) -> dict:
    answer = requests.get(url, timeout=VALIDATE_TIMEOUT, allow_redirects=False)
    answer.raise_for_status()
    document = answer.json()
    if not isinstance(document, dict):
        raise ValueError("not a JSON object")
    return document


def metadata(provider: IdentityProvider) -> dict:
    """The provider's discovery document, with its keys under "jwks". It must name as
    issuer the address it was fetched under, and its endpoints must be reached safely."""
    url = provider.server_url
    cached = _metadata.get(url)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    try:
        document = _get_json(url)
        issuer = url[: -len(WELL_KNOWN)]
        if document.get("issuer") != issuer:
            raise ValueError("the document names another issuer")
        for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not _reached_safely(str(document.get(endpoint, ""))):
                raise ValueError(f"{endpoint} missing or not https")
        document = {**document, "jwks": _get_json(document["jwks_uri"])}
    except (requests.RequestException, ValueError) as exc:
        raise SsoError(_l("The university's sign-in could not be reached. Try again.")) from exc
    _metadata[url] = (time.monotonic() + METADATA_SECONDS, document)
    return document


def _client(provider: IdentityProvider, redirect_uri: str) -> OAuth2Session:
    client = OAuth2Session(
        client_id=provider.client_id,
        client_secret=sealed.unseal(provider.client_secret) if provider.client_secret else None,
        scope=None,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )
    return client


def _scope(document: dict) -> str:
    offered = document.get("scopes_supported")
    return " ".join(s for s in SCOPES if not offered or s in offered or s == "openid")


def begin(provider: IdentityProvider, redirect_uri: str) -> tuple[str, dict]:
    """Where to send the browser, and what the return must match: a fresh state, nonce
    and PKCE verifier (the verifier sealed, for the session)."""
    document = metadata(provider)
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    url, _state = _client(provider, redirect_uri).create_authorization_url(
        document["authorization_endpoint"],
        state=state,
        code_verifier=verifier,
        nonce=nonce,
        scope=_scope(document),
    )
    return url, {"state": state, "nonce": nonce, "verifier": sealed.seal(verifier)}


@dataclass(frozen=True)
class SignIn:
    """A checked OIDC sign-in: who, the ID token (the end-session hint), whether MFA."""

    assertion: Assertion
    id_token: str
    claims: dict
    mfa: bool


def _same(a: object, b: object) -> bool:
    return isinstance(a, str) and isinstance(b, str) and hmac.compare_digest(a, b)


def finish(
    provider: IdentityProvider, redirect_uri: str, pending: dict, answer: dict[str, str]
) -> SignIn:
    """The browser came back with `answer` (the query string): check the state, the
    issuer it names (RFC 9207), trade the code with the PKCE verifier, check the ID token."""
    if answer.get("error"):
        raise SsoError(_l("The university's sign-in was not accepted. Sign in again."))
    if not _same(answer.get("state"), pending.get("state")):
        raise SsoError(_l("The sign-in did not start here. Sign in again."))
    document = metadata(provider)
    if "iss" in answer and answer["iss"] != document["issuer"]:
        raise SsoError(_l("The sign-in came back from another university. Sign in again."))
    code = answer.get("code")
    if not code:
        raise SsoError(_l("The university's sign-in was not accepted. Sign in again."))
    try:
        token = _client(provider, redirect_uri).fetch_token(
            document["token_endpoint"],
            grant_type="authorization_code",
            code=code,
            code_verifier=sealed.unseal(pending["verifier"]),
            timeout=VALIDATE_TIMEOUT,
        )
    except Exception as exc:  # the provider refused the code, or answered garbage
        raise SsoError(_l("The university's sign-in was not accepted. Sign in again.")) from exc
    claims = _checked_id_token(provider, document, token, pending["nonce"])
    released = {**_userinfo(document, token, claims["sub"]), **claims}
    attributes = {k: v for k, v in released.items() if isinstance(v, str | list)}
    assertion = assertion_of(provider, str(claims["sub"]), attributes)
    return SignIn(assertion, token["id_token"], claims, asserts_mfa(provider, claims))


def _checked_id_token(provider: IdentityProvider, document: dict, token: dict, nonce: str) -> dict:
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise SsoError(_l("The university's sign-in was not accepted. Sign in again."))
    algorithms = [
        a for a in document.get("id_token_signing_alg_values_supported") or ["RS256"]
        if a != "none"
    ]  # fmt: skip
    try:
        decoded = jwt.decode(
            id_token,
            KeySet.import_key_set(document["jwks"]),
            registry=JWSRegistry(algorithms=algorithms, strict_check_header=False),
        )
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            {
                "iss": {"essential": True, "value": document["issuer"]},
                "aud": {"essential": True, "value": provider.client_id},
            },
            {"nonce": nonce, "client_id": provider.client_id,
             "access_token": token.get("access_token")},
        )  # fmt: skip
        claims.validate(leeway=LEEWAY)
    except (JoseError, ValueError) as exc:
        raise SsoError(_l("The university's sign-in was not accepted. Sign in again.")) from exc
    return dict(claims)


def _userinfo(document: dict, token: dict, subject: str) -> dict:
    """The claims released at the userinfo endpoint (e-mail, name, phone: most providers
    put them there rather than in the ID token), for the same subject only."""
    endpoint = document.get("userinfo_endpoint")
    if not endpoint or not token.get("access_token") or not _reached_safely(str(endpoint)):
        return {}
    try:
        answer = requests.get(
            endpoint,
            headers={"Authorization": f"Bearer {token['access_token']}"},
            timeout=VALIDATE_TIMEOUT,
            allow_redirects=False,
        )
        answer.raise_for_status()
        released = answer.json()
    except (requests.RequestException, ValueError) as exc:
        raise SsoError(_l("The university's sign-in could not be checked. Try again.")) from exc
    if not isinstance(released, dict) or released.get("sub") != subject:
        raise SsoError(_l("The university's sign-in was not accepted. Sign in again."))
    return released


def asserts_mfa(provider: IdentityProvider, claims: dict) -> bool:
    """The association counts the provider's MFA, and the ID token asserts it: an amr of
    more than a password, or an acr the association listed."""
    if not provider.mfa_counts:
        return False
    amr = claims.get("amr") or []
    if isinstance(amr, list) and MFA_AMR.intersection(str(m) for m in amr):
        return True
    acr = claims.get("acr")
    return isinstance(acr, str) and acr in provider.mfa_acr_values.split()


BACKCHANNEL_LOGOUT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_AGE = 600  # seconds: an older logout token is refused


@dataclass(frozen=True)
class LogoutToken:
    """Whose sign-in the provider ended: its subject, its session (sid), or both."""

    subject: str | None
    sid: str | None


def _refused_logout() -> SsoError:
    return SsoError(_l("The logout token was not accepted."))


def logout_token(provider: IdentityProvider, token: str) -> LogoutToken:
    """Check a logout token as OpenID Connect Back-Channel Logout 1.0 (2.6) says: signed
    with the provider's keys, this provider's issuer, this client as audience, issued just
    now, the back-channel logout event, no nonce (an ID token is never one), and a subject
    or a session."""
    document = metadata(provider)
    algorithms = [
        a for a in document.get("id_token_signing_alg_values_supported") or ["RS256"]
        if a != "none"
    ]  # fmt: skip
    try:
        decoded = jwt.decode(
            token,
            KeySet.import_key_set(document["jwks"]),
            registry=JWSRegistry(algorithms=algorithms, strict_check_header=False),
        )
    except (JoseError, ValueError) as exc:
        raise _refused_logout() from exc
    claims = decoded.claims
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    events = claims.get("events")
    subject, sid = _named(claims.get("sub")), _named(claims.get("sid"))
    if (
        not _same(claims.get("iss"), document["issuer"])
        or provider.client_id not in audiences
        or not _fresh(claims.get("iat"), claims.get("exp"))
        or not isinstance(events, dict)
        or not isinstance(events.get(BACKCHANNEL_LOGOUT), dict)
        or "nonce" in claims
        or (subject is None and sid is None)
    ):
        raise _refused_logout()
    return LogoutToken(subject, sid)


def _named(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _fresh(issued: object, expires: object) -> bool:
    """Issued just now (not in the future), and not expired when it says when it expires."""
    now = time.time()
    if not isinstance(issued, int | float) or not now - LOGOUT_TOKEN_AGE <= issued <= now + LEEWAY:
        return False
    return expires is None or (isinstance(expires, int | float) and expires >= now - LEEWAY)


def end_session_origin(provider: IdentityProvider) -> str | None:
    """Where the provider's end-session endpoint is (for the sign-out form's policy), or
    None when it has none."""
    try:
        endpoint = metadata(provider).get("end_session_endpoint")
    except SsoError:
        return None
    if not endpoint or not _reached_safely(str(endpoint)):
        return None
    parts = urlsplit(str(endpoint))
    return f"{parts.scheme}://{parts.netloc}"


def end_session_url(
    provider: IdentityProvider, id_token: str, post_logout_redirect_uri: str
) -> str | None:
    """The provider's end-session address for this sign-in (RP-initiated logout), or None
    when it has none or cannot be reached (the service's own sign-out still happens)."""
    try:
        endpoint = metadata(provider).get("end_session_endpoint")
    except SsoError:
        return None
    if not endpoint or not _reached_safely(str(endpoint)):
        return None
    query = urlencode(
        {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": post_logout_redirect_uri,
            "client_id": provider.client_id,
        }
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"
