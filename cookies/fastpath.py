"""The two public reads of every page view, answered in front of Flask when nothing can differ.

banner.js revalidates ``GET /v1/sites/{site}/policy`` (``If-None-Match`` → 304) and portals
ask ``GET /v1/sites/{site}/consent-state`` on every page. Their answers depend only on the
site's current policy (cached in-process, see ``services.current_policy``), the ``Origin``
(CORS), and, for consent-state, the cookies and ``Sec-GPC``. So, once the app itself has
answered such a request for a site and an Origin, this WSGI middleware answers the next ones
while that same policy object is the cached one:

- the status and headers are the app's own, recorded from that answer (security headers,
  CORS, ``Vary``, ``Cache-Control``, ``ETag``), only ``Content-Length`` recomputed;
- the consent-state body comes from ``services.consent_state``, the function the view calls
  (signatures verified as always), serialised by the app's JSON provider; a recording is
  kept only when the body computed here for that same request equals the app's.

Everything else goes through Flask unchanged: other paths and methods, a query string, an
unknown site or a policy not cached, an ``If-None-Match`` other than the exact current ETag,
an Origin the site does not allow (so the recordings stay bounded), request-wide rate limits,
debug mode, and any error while answering here. A new policy version (or the cache's
refresh every ``POLICY_CACHE_SECONDS``) makes a new policy object, hence a new recording.
A hook that must see every one of these requests cannot rely on Flask's before/after hooks.
"""
from __future__ import annotations

from werkzeug.http import parse_cookie
from werkzeug.middleware.proxy_fix import ProxyFix

from consent_service.extensions import limiter

from . import services
from .services import CONSENT_COOKIE, RCI_COOKIE

PREFIX = "/v1/sites/"
POLICY = "/policy"
STATE = "/consent-state"


def install(app) -> None:
    """Put the fast path right in front of Flask (behind ProxyFix, when there is one)."""
    outer = app.wsgi_app
    if isinstance(outer, ProxyFix):
        outer.app = FastReads(app, outer.app)
    else:
        app.wsgi_app = FastReads(app, outer)


class FastReads:
    def __init__(self, app, wsgi_app):
        self.app = app
        self.wsgi_app = wsgi_app
        # (kind, site, origin) -> (policy object, status, headers, index of Content-Length)
        self.recorded: dict[tuple, tuple] = {}

    def __call__(self, environ, start_response):
        found = self._route(environ)
        if found is None:
            return self.wsgi_app(environ, start_response)
        kind, site, origin, policy = found
        recording = self.recorded.get((kind, site, origin))
        if recording is not None and recording[0] is policy:
            try:
                body = self._body(kind, policy, environ)
            except Exception:  # noqa: BLE001 - Flask answers, errors included
                return self.wsgi_app(environ, start_response)
            _, status, headers, length_at = recording
            if length_at is not None:
                headers = list(headers)
                headers[length_at] = ("Content-Length", str(len(body)))
            start_response(status, headers)
            return [body] if body else []
        return self._record(kind, site, origin, policy, environ, start_response)

    def _route(self, environ):
        """(kind, site, origin, policy) when this request may be answered here, else None."""
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING"):
            return None
        path = environ.get("PATH_INFO", "")
        if not path.startswith(PREFIX):
            return None
        if path.endswith(POLICY):
            kind, site = "policy", path[len(PREFIX):-len(POLICY)]
        elif path.endswith(STATE):
            kind, site = "state", path[len(PREFIX):-len(STATE)]
        else:
            return None
        if not site or "/" in site or self.app.debug or limiter._has_request_wide_limits():
            return None
        policy = services.cached_policy(site)
        if policy is None:
            return None
        if kind == "policy" and environ.get("HTTP_IF_NONE_MATCH") != policy.etag:
            return None
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and origin not in policy.allowed_origins \
                and origin != self.app.config["PUBLIC_BASE_URL"]:
            return None
        return kind, site, origin, policy

    def _body(self, kind, policy, environ) -> bytes:
        if kind == "policy":
            return b""
        cookies = parse_cookie(environ.get("HTTP_COOKIE", ""))
        gpc = environ.get("HTTP_SEC_GPC", "").strip() == "1"
        with self.app.app_context():
            state = services.consent_state(policy, cookies.get(CONSENT_COOKIE), cookies.get(RCI_COOKIE), gpc)
            # What jsonify writes outside debug mode (the recording checks it is the same).
            return (self.app.json.dumps(state.__dict__, separators=(",", ":")) + "\n").encode()

    def _record(self, kind, site, origin, policy, environ, start_response):
        """Let the app answer, and keep its status and headers when they can be replayed."""
        answered = {}

        def capture(status, headers, exc_info=None):
            answered["status"], answered["headers"] = status, list(headers)
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        iterable = self.wsgi_app(environ, capture)
        try:
            chunks = list(iterable)
        finally:
            if hasattr(iterable, "close"):
                iterable.close()
        status = answered.get("status", "")
        expected = "304" if kind == "policy" else "200"
        if status.split(" ", 1)[0] == expected and services.cached_policy(site) is policy:
            try:
                same = self._body(kind, policy, environ) == b"".join(chunks)
            except Exception:  # noqa: BLE001 - not replayable, Flask keeps answering
                same = False
            if same:
                headers = answered["headers"]
                names = [name.lower() for name, _ in headers]
                length_at = names.index("content-length") if "content-length" in names else None
                self.recorded[(kind, site, origin)] = (policy, status, tuple(headers), length_at)
        return chunks
