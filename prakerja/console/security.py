"""Who may use the console, and how its pages protect themselves.

- It listens on 127.0.0.1 only (server.py), and answers only requests addressed to
  127.0.0.1:<port> or localhost:<port> (a page elsewhere cannot reach it through DNS
  rebinding).
- A random token per launch is in the URL it prints, as a notebook server does. The first
  request with it gets a cookie (HttpOnly, SameSite=Strict) and is redirected to the same
  page without the token, so the token leaves the address bar and the history; every other
  request needs the cookie. Without either: 403.
- Every POST carries a CSRF token (Flask-WTF's CSRFProtect, in the signed session), and an
  action's second screen carries the intent it confirms, signed (itsdangerous) and valid
  for INTENT_MAX_AGE: what is done is exactly what was confirmed.
- Pages are not cached, not framed, send no referrer and run no script (CSP)."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from urllib.parse import urlencode

from flask import Flask, Response, abort, redirect, request
from flask_wtf.csrf import CSRFProtect
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

TOKEN_PARAM = "token"
INTENT_MAX_AGE = timedelta(minutes=10)
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class Intent(Exception):
    """A confirmation that is not (or no longer) valid."""


class Gate:
    def __init__(self, app: Flask, port: int, token: str | None = None):
        self.token = token or secrets.token_urlsafe(32)
        self.port = port
        self.cookie = f"prakerja_console_{port}"
        self.hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
        app.config.update(
            SECRET_KEY=secrets.token_bytes(32),
            SESSION_COOKIE_NAME=f"prakerja_console_session_{port}",
            SESSION_COOKIE_HTTPONLY=True,
            SESSION_COOKIE_SAMESITE="Strict",
            WTF_CSRF_TIME_LIMIT=int(timedelta(hours=8).total_seconds()),
        )
        app.before_request(self._check)  # before CSRFProtect's own check: no token, no further word
        CSRFProtect(app)
        self._intents = URLSafeTimedSerializer(secrets.token_bytes(32), salt="prakerja-console-intent")
        app.after_request(self._headers)

    def url(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/?{urlencode({TOKEN_PARAM: self.token})}"

    def _matches(self, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(given.encode(), self.token.encode())

    def _check(self) -> Response | None:
        if request.host not in self.hosts:
            abort(400, description="this console answers only at 127.0.0.1 or localhost on its own port")
        given = request.args.get(TOKEN_PARAM)
        if self._matches(given) and request.method == "GET":
            rest = {k: v for k, v in request.args.items(multi=True) if k != TOKEN_PARAM}
            response = redirect(request.path + (f"?{urlencode(rest)}" if rest else ""), code=303)
            response.set_cookie(self.cookie, self.token, httponly=True, samesite="Strict", path="/")
            return response
        if not self._matches(request.cookies.get(self.cookie)):
            abort(403, description="open the address `prakerja ops console` printed (it carries this launch's token)")
        return None

    @staticmethod
    def _headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    def sign_intent(self, intent: dict) -> str:
        return self._intents.dumps(intent)

    def read_intent(self, signed: str) -> dict:
        try:
            return self._intents.loads(signed, max_age=INTENT_MAX_AGE.total_seconds())
        except SignatureExpired:
            raise Intent("this confirmation has expired; start the action again") from None
        except BadSignature:
            raise Intent("this confirmation is not one the console made; start the action again") from None
