"""Real HTTP servers for the browser tests and the banner benchmark: the service on SQLite, and a
second "portal" server on another port serving pages that embed the banner."""
from __future__ import annotations

import copy
import threading
from pathlib import Path

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from consent_service import create_app
from consent_service.extensions import db

CHROMIUM = "/usr/bin/chromium"
# Names under .portal.test resolve to 127.0.0.1, so a portal page can be truly cross-site.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--no-first-run",
                 "--host-resolver-rules=MAP *.portal.test 127.0.0.1"]


class _Holder:
    """A WSGI entry point whose app is set after the port is known (PUBLIC_BASE_URL needs it);
    it keeps (path, status) of every request it answered in ``hits``."""

    app = None

    def __init__(self):
        self.hits: list[tuple[str, int]] = []

    def __call__(self, environ, start_response):
        def start(status, headers, exc_info=None):
            self.hits.append((environ.get("PATH_INFO", ""), int(status.split()[0])))
            return start_response(status, headers, exc_info)

        return self.app(environ, start)


class _Server:
    def __init__(self):
        self.holder = _Holder()
        self.http = make_server("127.0.0.1", 0, self.holder, threaded=True)
        self.port = self.http.server_port
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.http.shutdown()
        self.http.server_close()


class Service(_Server):
    """The consent service with the demo site, on a SQLite file."""

    def __init__(self, folder: Path, config: dict | None = None, **environ):
        super().__init__()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {"SECRET_KEY": "e2e-secret", "DATABASE_URL": f"sqlite:///{folder / 'e2e.db'}",
               "PUBLIC_BASE_URL": self.base, "DPO_EMAIL": "dpo@bailleur.example.fr",
               **environ}
        # The tests publish versions and expect to see them at once: no policy cache by default.
        self.app = create_app({"POLICY_CACHE_SECONDS": 0, **(config or {})}, environ=env)
        self.app.logger.disabled = True
        self.holder.app = self.app
        from cookies.demo import load_demo_site

        with self.app.app_context():
            db.create_all()
            load_demo_site()
            db.session.commit()

    def add_origins(self, *origins: str, site: str = "espace-locataire") -> None:
        from cookies import policies

        with self.app.app_context():
            found = policies.get_site(site)
            found.allowed_origins = sorted({*found.allowed_origins, *origins})
            db.session.commit()

    def new_site(self, key: str, origins: list[str], cookie_domain: str | None = None, **policy_changes) -> str:
        """A site of its own (so a test may publish versions without disturbing the others)."""
        from cookies import policies
        from cookies.demo import DEMO_POLICY

        with self.app.app_context():
            site = policies.create_site(key, key, origins, cookie_domain)
            policies.publish_policy(site, {**copy.deepcopy(DEMO_POLICY), **policy_changes})
            db.session.commit()
        return key

    def publish(self, key: str, **policy_changes) -> int:
        from cookies import policies
        from cookies.demo import DEMO_POLICY

        with self.app.app_context():
            policy = policies.publish_policy(policies.get_site(key), {**copy.deepcopy(DEMO_POLICY), **policy_changes})
            db.session.commit()
            return policy.version

    def records(self, site: str = "espace-locataire") -> list[dict]:
        """Every proof recorded for ``site``, oldest first."""
        from cookies.models import ConsentRecord

        with self.app.app_context():
            rows = db.session.execute(db.select(ConsentRecord).where(ConsentRecord.site == site)
                                      .order_by(ConsentRecord.recorded_at)).scalars()
            return [{"id": r.consent_id, "action": r.action, "categories": r.categories, "visitor_id": r.visitor_id,
                     "locale": r.locale, "gpc": r.gpc, "page": r.page} for r in rows]


PORTAL_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Portail {path}</title>
{head}
<script src="{service}/banner.js" data-site="{site}" {attrs} defer></script>
<script type="text/plain" data-consent-category="analytics">
window.analyticsRuns = (window.analyticsRuns || 0) + 1;
document.cookie = "_ga=GA1.1.42.42; path=/; max-age=99999";
document.cookie = "_ga_XYZ=GS1.1.42; path=/; max-age=99999";
</script>
<script type="text/plain" data-consent-category="analytics" src="/analytics.js"></script>
{after}
</head><body><h1>Portail {path}</h1><p><a href="/next">Page suivante</a></p>{body}</body></html>
"""
GTAG_STUB = "<script>window.dataLayer = []; function gtag() { dataLayer.push(arguments); }</script>"


class Portal(_Server):
    """Serves the same portal page on every path, embedding the banner from ``service``."""

    def __init__(self, service: Service):
        super().__init__()
        self.service = service
        # "service" may be changed too, e.g. to reach the service under another name.
        # head: before banner.js; after: after it, still in <head>; body: after the page's text.
        self.settings = {"site": "espace-locataire", "lang": "fr", "attrs": "", "head": GTAG_STUB, "after": "",
                         "body": ""}
        # Extra paths: path -> (body, mimetype), e.g. a tag manager or an embedded video.
        self.files: dict[str, tuple[str, str]] = {}
        self.holder.app = self._wsgi
        self.base = f"http://127.0.0.1:{self.port}"
        # Another site altogether (only the port matches), resolved by --host-resolver-rules.
        self.cross_site = f"http://www.portal.test:{self.port}"

    @Request.application
    def _wsgi(self, request):
        if request.path == "/favicon.ico":
            return Response(status=404)
        if request.path == "/analytics.js":  # an external tag, as most trackers are
            return Response("window.externalAnalyticsRuns = (window.externalAnalyticsRuns || 0) + 1;",
                            mimetype="text/javascript")
        if request.path in self.files:
            body, mimetype = self.files[request.path]
            return Response(body, mimetype=mimetype)
        html = PORTAL_PAGE.format(path=request.path, **{"service": self.service.base, **self.settings})
        return Response(html, mimetype="text/html")
