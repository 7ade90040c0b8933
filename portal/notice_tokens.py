"""Signed links in notice e-mails: confirm an address (expires), stop all notices (does not).

A token names the user by their opaque handle and the address by a digest, never by
an identity number; it is signed with the app's secret key, each kind with its own salt.
"""

from __future__ import annotations

import hashlib

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

CONFIRM_SALT = "notice-confirm"
STOP_SALT = "notice-stop"


def address_digest(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()[:24]


def confirm_token(secret: str, user_handle: str, address: str) -> str:
    return URLSafeTimedSerializer(secret, salt=CONFIRM_SALT).dumps([user_handle, address_digest(address)])


def read_confirm_token(secret: str, token: str, max_age_s: float) -> tuple[str, str] | None:
    """(user handle, address digest), or None when forged, broken or expired."""
    try:
        value = URLSafeTimedSerializer(secret, salt=CONFIRM_SALT).loads(token, max_age=max_age_s)
    except (BadSignature, SignatureExpired, UnicodeDecodeError, ValueError):
        return None
    return _pair(value)


def stop_token(secret: str, user_handle: str, address: str) -> str:
    return URLSafeSerializer(secret, salt=STOP_SALT).dumps([user_handle, address_digest(address)])


def read_stop_token(secret: str, token: str) -> tuple[str, str] | None:
    try:
        value = URLSafeSerializer(secret, salt=STOP_SALT).loads(token)
    except (BadSignature, UnicodeDecodeError, ValueError):
        return None
    return _pair(value)


def _pair(value) -> tuple[str, str] | None:
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value):
        return value[0], value[1]
    return None
