"""Secrets the service must read back (a TOTP key), kept encrypted at rest with a key from
the environment: Fernet (AES in CBC mode with an HMAC), from `cryptography`.

The key is SECRETS_KEY (a Fernet key: `python -c "from cryptography.fernet import Fernet;
print(Fernet.generate_key().decode())"`); without it, one is derived from SECRET_KEY, so a
database copied without the environment does not give its secrets away either way."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app


class Unsealable(RuntimeError):
    """The stored value was sealed with another key (or was altered)."""


def _fernet() -> Fernet:
    key = current_app.config.get("SECRETS_KEY")
    if not key:
        material = ("kexie sealed secrets|" + current_app.config["SECRET_KEY"]).encode()
        key = base64.urlsafe_b64encode(hashlib.sha256(material).digest()).decode()
    return Fernet(key)


def seal(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def unseal(sealed: str) -> str:
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken as exc:
        raise Unsealable("a sealed secret does not open with this SECRETS_KEY") from exc
