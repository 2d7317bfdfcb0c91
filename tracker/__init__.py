"""tracker — 预算绩效运行监控.  ``create_app`` builds the web application; nothing runs at import."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app: configuration, database, login, CSRF, blueprints, error pages, and
    the reverse proxy's forwarded headers when ``proxy_hops`` says there is one."""
    from flask import Flask

    from tracker.config import PROJECT_ROOT, Config
    from tracker.db import Database
    from tracker.web import init_web

    config = Config.from_env(overrides)
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder="web/static",
        instance_path=config.instance_path,
    )
    app.config.update(
        SECRET_KEY=config.secret_key,
        TESTING=config.testing,
        MAX_CONTENT_LENGTH=config.max_upload_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.session_cookie_secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=config.session_cookie_secure,
        WTF_CSRF_TIME_LIMIT=None,
        JSON_AS_ASCII=False,
    )
    app.config.update(config.flask)
    app.extensions["tracker.config"] = config
    app.extensions["tracker.db"] = Database(config.database_url)
    init_web(app)
    if config.proxy_hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Only the headers the documented nginx setup sets; X-Forwarded-Host is not trusted.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.proxy_hops,  # type: ignore[method-assign]
                                x_proto=config.proxy_hops, x_host=0, x_port=0, x_prefix=0)
    return app
