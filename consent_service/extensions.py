"""Extensions, created unbound and bound to the app in ``create_app``."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from flask import Flask, Request, Response, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Engine, MetaData, Table, event, exc
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
PING_AFTER_IDLE_SECONDS = 5.0
POOL_RECYCLE_SECONDS = 1800


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class _SQLAlchemy(SQLAlchemy):
    """Flask-SQLAlchemy where ``pool_pre_ping`` pings a pooled connection only after it sat
    idle for ``PING_AFTER_IDLE_SECONDS``.

    SQLAlchemy's own pre-ping is a ``SELECT 1`` round trip on every checkout, that is on every
    request, and under load it never finds anything: the connection was in use milliseconds
    ago. Connections go stale while idle (a database restart, an idle timeout, a firewall),
    and those are still pinged; a dead one is replaced before the request sees it (raising
    DisconnectionError makes the pool retry the checkout with a new connection), as with the
    stock ping. A connection that breaks while busy fails that request with errors.py's 503
    and Retry-After, and SQLAlchemy then retires every connection older than the failure.
    ``pool_recycle`` also retires connections after ``POOL_RECYCLE_SECONDS``.
    """

    def _make_engine(self, bind_key: str | None, options: dict[str, Any], app: Flask) -> Engine:
        ping = options.pop("pool_pre_ping", False)
        if ping:
            options.setdefault("pool_recycle", POOL_RECYCLE_SECONDS)
        engine = super()._make_engine(bind_key, options, app)
        if ping:
            _ping_after_idle(engine)
        return engine


def _ping_after_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return  # a new connection, or one used a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as err:
            raise exc.DisconnectionError("stale pooled connection") from err


class LazySessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, without building a signing serializer on the requests
    (nearly all of them: the public API) that carry no session cookie, and without
    ``Vary: Cookie`` outside ``SESSION_COOKIE_PATH``: browsers send the cookie only under its
    path, so nothing answered elsewhere depends on it, even when an extension's hook (Flask-Login's
    remember-cookie check) looked at the empty session. Shared caches keep the public answers."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and ("HTTP_COOKIE" not in request.environ
                               or not request.cookies.get(self.get_cookie_name(app))):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if not session.modified and not _under(request.path, self.get_cookie_path(app)):
            return
        super().save_session(app, session, response)


def _under(path: str, prefix: str) -> bool:
    prefix = prefix.rstrip("/")
    return not prefix or path == prefix or path.startswith(prefix + "/")


def cached_ensure_sync(ensure_sync: Callable[[Callable[..., Any]], Callable[..., Any]]
                       ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``Flask.ensure_sync`` remembered per callable: Flask and flask-smorest call it for every
    hook and view layer of every request, and each call inspects the callable's code flags."""
    seen: dict[Callable[..., Any], Callable[..., Any]] = {}

    def cached(func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            return seen[func]
        except KeyError:
            result = ensure_sync(func)
            if len(seen) < 4096:
                seen[func] = result
            return result
        except TypeError:  # an unhashable callable
            return ensure_sync(func)

    return cached


db = _SQLAlchemy(model_class=Base)
if TYPE_CHECKING:
    class Model(Base):
        """What type checkers see of db.Model: the typed declarative base it is built on, whose
        mapped classes each have a Table (not any FromClause)."""

        __abstract__ = True
        __table__: ClassVar[Table]
else:
    Model = db.Model
migrate = Migrate()
api = Api()
# X-RateLimit-* and Retry-After come from ratelimit.limit_headers, shared by the hot paths.
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=False)
