"""The web front: one blueprint per URL area, wired up by ``init_web``."""

from __future__ import annotations

from flask import Flask

from tracker.web import (
    assets,
    auth,
    cockpit,
    context,
    errors,
    imports,
    ledger,
    monitoring,
    projects,
    security,
)


def init_web(app: Flask) -> None:
    context.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    app.register_blueprint(auth.blueprint)
    app.register_blueprint(projects.blueprint)
    app.register_blueprint(assets.blueprint)
    app.register_blueprint(imports.blueprint)
    app.register_blueprint(ledger.blueprint)
    app.register_blueprint(monitoring.blueprint)
    app.register_blueprint(cockpit.blueprint)
