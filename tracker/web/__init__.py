"""The web front: one blueprint per URL area, wired up by ``init_web``."""

from __future__ import annotations

from flask import Flask

from tracker.web import (
    adjustments,
    admin,
    assets,
    audit,
    auth,
    cockpit,
    context,
    departments,
    downloads,
    errors,
    evaluations,
    fill_workbook,
    imports,
    ledger,
    monitoring,
    projects,
    reports,
    security,
)


def init_web(app: Flask) -> None:
    context.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    downloads.init_app(app)
    app.register_blueprint(auth.blueprint)
    app.register_blueprint(projects.blueprint)
    app.register_blueprint(assets.blueprint)
    app.register_blueprint(imports.blueprint)
    app.register_blueprint(ledger.blueprint)
    app.register_blueprint(monitoring.blueprint)
    app.register_blueprint(fill_workbook.blueprint)
    app.register_blueprint(cockpit.blueprint)
    app.register_blueprint(reports.blueprint)
    app.register_blueprint(evaluations.blueprint)
    app.register_blueprint(adjustments.blueprint)
    app.register_blueprint(departments.blueprint)
    app.register_blueprint(admin.blueprint)
    app.register_blueprint(audit.blueprint)
