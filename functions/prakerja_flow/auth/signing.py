"""HMAC-SHA256 request signing: the canonical request, the signature, and its checks.

Pure (no AWS, no clock): the authorizer, the local test client, `prakerja sign` and the
unit tests all use these functions, so what a client signs is what the server checks.

A signed request carries five headers:
  X-Prakerja-Key-Id          which client secret signed it (one secret per principal)
  X-Prakerja-Timestamp       unix seconds when it was signed
  X-Prakerja-Nonce           random, used once (replay protection)
  X-Prakerja-Content-SHA256  hex SHA-256 of the exact body bytes (of b"" without a body)
  X-Prakerja-Signature       hex HMAC-SHA256(secret, string_to_sign)
and string_to_sign is these lines joined by "\\n":
  PRAKERJA-HMAC-SHA256, METHOD, path, canonical query, timestamp, nonce, key id, content sha256

API Gateway REQUEST authorizers never see the body, so the body is bound through its
hash: the authorizer checks the signature over the declared hash, and the API function
checks that the body it received has that hash (body_matches).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets as _secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

ALGORITHM = "PRAKERJA-HMAC-SHA256"
KEY_ID = "X-Prakerja-Key-Id"
TIMESTAMP = "X-Prakerja-Timestamp"
NONCE = "X-Prakerja-Nonce"
CONTENT_SHA256 = "X-Prakerja-Content-SHA256"
SIGNATURE = "X-Prakerja-Signature"
SIGNED_HEADERS = (KEY_ID, TIMESTAMP, NONCE, CONTENT_SHA256, SIGNATURE)

# Matched with fullmatch: `$` alone would let a trailing newline through. Character classes
# spelled out in ASCII: `\d` and str.isdigit() admit other scripts' digits and superscripts
# ("1²" passed isdigit(), then int() raised: a 500 for an unauthenticated caller).
KEY_ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{2,63}")
NONCE_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
HEX64 = re.compile(r"[0-9a-f]{64}")
UNIX_SECONDS = re.compile(r"[0-9]{1,12}")
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class Rejected(Exception):
    """A request that must not pass: `code` goes into the error body."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class Unsigned(Rejected):
    """No (complete) signature at all: 401, the caller did not authenticate."""

    def __init__(self, message: str):
        super().__init__("Unauthenticated", message)


@dataclass(frozen=True)
class SignedParts:
    key_id: str
    timestamp: int
    nonce: str
    content_sha256: str
    signature: str


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """HTTP header names are case-insensitive; API Gateway passes them as sent."""
    lowered = name.lower()
    for key, value in (headers or {}).items():
        if key.lower() == lowered:
            return value
    return None


def content_sha256(body: bytes | str | None) -> str:
    if body is None:
        return EMPTY_SHA256
    return hashlib.sha256(body.encode("utf-8") if isinstance(body, str) else body).hexdigest()


def canonical_query(params: Mapping[str, list[str]] | None) -> str:
    """Sorted, percent-encoded name=value pairs: the order a client sent them in must not matter."""
    pairs = sorted(
        (quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, values in (params or {}).items() for v in values
    )
    return "&".join(f"{k}={v}" for k, v in pairs)


def string_to_sign(
    method: str, path: str, query: str, timestamp: int, nonce: str, key_id: str, body_sha256: str
) -> str:
    return "\n".join((ALGORITHM, method.upper(), path, query, str(timestamp), nonce, key_id, body_sha256))


def signature(secret: str, text: str) -> str:
    return hmac.new(secret.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()


def sign(
    secret: str,
    key_id: str,
    method: str,
    path: str,
    body: bytes | str | None = None,
    query: Mapping[str, list[str]] | None = None,
    timestamp: int = 0,
    nonce: str | None = None,
) -> dict[str, str]:
    """The five headers that sign this request (the client side)."""
    nonce = nonce or _secrets.token_urlsafe(24)
    body_hash = content_sha256(body)
    text = string_to_sign(method, path, canonical_query(query), timestamp, nonce, key_id, body_hash)
    return {
        KEY_ID: key_id,
        TIMESTAMP: str(timestamp),
        NONCE: nonce,
        CONTENT_SHA256: body_hash,
        SIGNATURE: signature(secret, text),
    }


def parse(headers: Mapping[str, str] | None) -> SignedParts:
    """The signature headers, well-formed, or Unsigned/Rejected saying what is wrong."""
    values = {name: header(headers, name) for name in SIGNED_HEADERS}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise Unsigned(f"the request is not signed: missing {', '.join(missing)}")
    key_id, timestamp, nonce, body_hash, sig = (values[n] or "" for n in SIGNED_HEADERS)
    if not KEY_ID_PATTERN.fullmatch(key_id):
        raise Rejected("InvalidSignature", f"{KEY_ID} is malformed")
    if not UNIX_SECONDS.fullmatch(timestamp):
        raise Rejected("InvalidSignature", f"{TIMESTAMP} must be unix seconds: 1-12 ASCII digits")
    if not NONCE_PATTERN.fullmatch(nonce):
        raise Rejected("InvalidSignature", f"{NONCE} must be 16-64 characters of A-Z a-z 0-9 _ -")
    if not HEX64.fullmatch(body_hash) or not HEX64.fullmatch(sig):
        raise Rejected("InvalidSignature", f"{CONTENT_SHA256} and {SIGNATURE} must be 64 lowercase hex digits")
    return SignedParts(key_id, int(timestamp), nonce, body_hash, sig)


def check_fresh(parts: SignedParts, now: float, tolerance_seconds: float) -> None:
    if abs(now - parts.timestamp) > tolerance_seconds:
        raise Rejected("RequestExpired", f"{TIMESTAMP} is more than {int(tolerance_seconds)} s from the server's time")


def verify(parts: SignedParts, secret: str, method: str, path: str, query: Mapping[str, list[str]] | None) -> None:
    text = string_to_sign(
        method, path, canonical_query(query), parts.timestamp, parts.nonce, parts.key_id, parts.content_sha256
    )
    # Constant-time comparison: timing must not reveal how much of a forged signature is right.
    if not hmac.compare_digest(signature(secret, text), parts.signature):
        raise Rejected("InvalidSignature", "the signature does not match the request (see docs/api.md, Signing)")


def body_matches(headers: Mapping[str, str] | None, body: bytes | str | None) -> bool:
    declared = header(headers, CONTENT_SHA256)
    return declared is not None and hmac.compare_digest(declared, content_sha256(body))
