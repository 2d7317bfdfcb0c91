"""Error pages, all in Chinese: HTTP errors, deliberate TrackerErrors, database failures
(disk full, busy, conflict, connection lost, unavailable; see ``tracker.db_errors``) and
anything unexpected (500).  Every handler rolls the request's transaction back first, and
no page ever shows a traceback or a library's English text."""

from __future__ import annotations

import re

from flask import Flask, current_app, g, render_template
from werkzeug.exceptions import HTTPException

from tracker.db_errors import database_failure
from tracker.errors import DatabaseFailure, TrackerError

TITLES = {
    400: "请求无效",
    401: "需要登录",
    403: "没有权限",
    404: "页面不存在",
    405: "不支持的操作",
    409: "操作冲突",
    413: "文件太大",
    422: "无法处理",
    429: "请求过于频繁",
    500: "系统出错",
    503: "暂时无法处理",
    507: "存储空间不足",
}

MESSAGES = {
    400: "提交的内容无法识别。请返回上一页，刷新后重试。",
    401: "请先登录。",
    403: "您的账号没有执行此操作的权限。如需开通，请联系系统管理员。",
    404: "您要找的页面或记录不存在，或您无权查看。",
    405: "此页面不支持这种操作方式。请从页面上的按钮或链接进入。",
    413: "上传的文件超过了允许的大小。",
    422: "提交的内容无法处理。",
    429: "操作过于频繁，请稍后再试。",
    500: "系统处理时出错，本次操作的改动已全部撤销。请稍后重试；如反复出现，请联系管理员。",
    503: "系统暂时无法处理请求，请稍后重试。",
}
#: Flask-WTF's CSRFError is a 400 whose description is English ("The CSRF token is missing.").
CSRF_MESSAGE = "页面已过期或表单校验失败，未保存任何改动。请刷新页面后重新提交。"
#: Seconds a client is asked to wait before retrying a busy / interrupted database.
RETRY_AFTER_SECONDS = 5
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _rollback() -> None:
    session = g.get("db_session")
    if session is not None:
        try:
            session.rollback()
        except Exception:  # noqa: BLE001 - a broken connection cannot roll back; it is dropped
            session.invalidate()


def _render(status: int, message: str | None = None, *, without_user: bool = False):  # type: ignore[no-untyped-def]
    """The error page.  ``without_user``: the page must not reach the database (it failed), so
    the header is drawn for an anonymous visitor instead of loading the signed-in user."""
    if without_user:
        g._login_user = current_app.login_manager.anonymous_user()  # flask-login's cache
    arguments = {"status": status, "title": TITLES.get(status, "出错了"),
                 "message": message or MESSAGES.get(status, "")}
    try:
        return render_template("error.html", **arguments), status
    except Exception:  # noqa: BLE001 - e.g. the user could not be loaded to draw the header
        current_app.logger.exception("error page without header")
        g._login_user = current_app.login_manager.anonymous_user()
        return render_template("error.html", **arguments), status


def _database_page(failure: DatabaseFailure):  # type: ignore[no-untyped-def]
    page, status = _render(failure.http_status, str(failure), without_user=True)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else {}
    return page, status, headers


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        if error.code and error.code >= 500:
            _rollback()
        if error.code in (301, 302, 303, 307, 308):
            return error
        code = error.code or 500
        message = None
        if code == 400:
            is_csrf = type(error).__name__ == "CSRFError"
            own = error.description if _CJK.search(error.description or "") else None
            message = CSRF_MESSAGE if is_csrf else own
        return _render(code, message)

    @app.errorhandler(TrackerError)
    def _tracker_error(error: TrackerError):  # type: ignore[no-untyped-def]
        _rollback()
        if isinstance(error, DatabaseFailure):
            return _database_page(error)
        return _render(error.http_status, str(error))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):  # type: ignore[no-untyped-def]
        _rollback()
        failure = database_failure(error)
        if failure is not None:
            app.logger.warning("database failure: %s (%s)", failure, error.__class__.__name__)
            return _database_page(failure)
        app.logger.exception("unhandled error")
        return _render(500)
