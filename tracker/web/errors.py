"""Error pages: 403, 404, 500 (which rolls back first) and deliberate TrackerErrors."""

from __future__ import annotations

from flask import Flask, g, render_template
from werkzeug.exceptions import HTTPException

from tracker.errors import TrackerError

TITLES = {
    400: "请求无效",
    401: "需要登录",
    403: "没有权限",
    404: "页面不存在",
    405: "不支持的操作",
    413: "文件太大",
    422: "无法处理",
    429: "请求过于频繁",
    500: "系统出错",
}

MESSAGES = {
    403: "您的账号没有执行此操作的权限。如需开通，请联系系统管理员。",
    404: "您要找的页面或记录不存在，或您无权查看。",
    413: "上传的文件超过了允许的大小。",
    500: "系统处理时出错，本次操作的改动已全部撤销。请稍后重试；如反复出现，请联系管理员。",
}


def _rollback() -> None:
    session = g.get("db_session")
    if session is not None:
        session.rollback()


def _render(status: int, message: str | None = None):  # type: ignore[no-untyped-def]
    return (
        render_template(
            "error.html",
            status=status,
            title=TITLES.get(status, "出错了"),
            message=message or MESSAGES.get(status, ""),
        ),
        status,
    )


def init_app(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        if error.code and error.code >= 500:
            _rollback()
        if error.code in (301, 302, 303, 307, 308):
            return error
        return _render(error.code or 500, error.description if error.code == 400 else None)

    @app.errorhandler(TrackerError)
    def _tracker_error(error: TrackerError):  # type: ignore[no-untyped-def]
        _rollback()
        return _render(error.http_status, str(error))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):  # type: ignore[no-untyped-def]
        _rollback()
        app.logger.exception("unhandled error")
        return _render(500)
