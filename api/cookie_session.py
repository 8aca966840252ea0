"""The cookie session is for the web pages; a request with a bearer token is signed in by the token alone.

A script that logs in with a cookie-keeping HTTP client (`requests.Session`, a test client) sends
both on every call; decoding and verifying the signed cookie cost about 0.1 ms a request that
reads nothing from it (`api.auth` looks only at the token when there is one). Such a request
gets an empty session instead. Left unchanged it writes nothing back, so the browser's cookie
stays as it is; a logout with a bearer still clears it, as before.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from api.auth import has_bearer


class BearerFirstSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if has_bearer(request):
            return self.session_class()
        return super().open_session(app, request)
