"""Spreadsheet downloads of the tables pages show: ``?format=xlsx`` on the page's own URL.

The same view answers both, so the same role and unit-scope checks apply to the download;
the view asks ``wants_xlsx()`` and hands its whole (unpaged, filtered) table to ``xlsx`` —
or, for a page with several tables, a ``Book`` of them (one sheet each).
Templates get ``export_url()``: the current URL with ``format=xlsx`` and without ``page``.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from flask import Flask, Response, request, url_for
from flask_login import current_user

from tracker.reports.page_tables import Book, Table
from tracker.reports.table_export import table_xlsx, tables_xlsx
from tracker.services import audit
from tracker.web.context import db_session

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: a worksheet holds 1,048,576 rows: the header and this many more
MAX_ROWS = 1_048_575


def wants_xlsx() -> bool:
    return request.args.get("format") == "xlsx"


def content_disposition(filename: str, fallback: str) -> str:
    """``attachment`` with an ASCII ``filename`` for old clients and the real (Chinese) name
    as RFC 5987 ``filename*=UTF-8''…``."""
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "-", fallback).strip("-") or "export.xlsx"
    name = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]+', "_", filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def attachment(data: bytes, name: str, fallback: str, mimetype: str) -> Response:
    """A download named ``name`` (Chinese, RFC 5987 ``filename*``), ``fallback`` for old
    clients; never cached by shared caches.  Recorded in the audit log (who took which table
    or report out of the system, from which page with which filters)."""
    if current_user.is_authenticated:
        session = db_session()
        audit.record(session, current_user._get_current_object(), "export", "download",
                     file=name, url=request.full_path.rstrip("?"))
        session.commit()
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(name, fallback)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def xlsx(table: Table | Book) -> Response:
    """The table (or the page's tables, a sheet each) as an .xlsx download named after it."""
    if isinstance(table, Book):
        data = tables_xlsx(table.title, [(t.title, t.headers, t.rows) for t in table.tables])
    else:
        data = table_xlsx(table.title, table.headers, table.rows)
    return attachment(data, f"{table.filename}.xlsx", f"{table.fallback}.xlsx", XLSX_MIMETYPE)


def export_url() -> str:
    """This page's URL asking for the spreadsheet: same filters, every page."""
    args = {key: value for key, value in request.args.items() if key not in ("page", "format")}
    return url_for(request.endpoint or "projects.index", **(request.view_args or {}), **args,
                   format="xlsx")


def init_app(app: Flask) -> None:
    app.jinja_env.globals["export_url"] = export_url
