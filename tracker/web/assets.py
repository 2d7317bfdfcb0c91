"""Vendored JavaScript served by the app itself (the machines often have no internet)."""

from __future__ import annotations

from pathlib import Path

import plotly
from flask import Blueprint, send_file

blueprint = Blueprint("assets", __name__)

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


@blueprint.route("/vendor/plotly.min.js")
def plotly_js():  # type: ignore[no-untyped-def]
    """The Plotly bundle shipped inside the installed ``plotly`` package."""
    return send_file(PLOTLY_JS, mimetype="text/javascript", max_age=7 * 24 * 3600)
