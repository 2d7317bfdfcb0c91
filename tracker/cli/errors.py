"""How the ``tracker`` command reports a failure: Chinese lines on stderr and an exit code,
never a traceback or a library's English text.

``report(error)`` is called once, by ``tracker.cli.main``, for whatever a command raised:

- a ``TrackerError`` (including the database failures ``tracker.db_errors`` recognises) prints
  its message and exits with its code;
- click's own usage errors (unknown option, missing or invalid value, unknown command) are said
  in Chinese with a pointer to ``--help``, exit 2;
- the operating system's refusals (no permission, no such file, port in use) say so, exit 74;
- anything else is an internal error, exit 70 (EX_SOFTWARE): one Chinese line, and the
  traceback goes to ``<instance>/logs/errors.log`` (printed on stderr too when
  ``TRACKER_DEBUG=1``).
"""

from __future__ import annotations

import errno
import os
import re
import sys
import traceback
from pathlib import Path

import click

from tracker.db_errors import database_failure
from tracker.errors import TrackerError
from tracker.logs import ERROR_LOG, write_error_log

INTERNAL_ERROR_EXIT = 70  # EX_SOFTWARE (sysexits.h)
OS_ERROR_EXIT = 74  # EX_IOERR: a file, a directory or a port refused
LOG_NAME = ERROR_LOG
_CJK = re.compile(r"[\u4e00-\u9fff]")


def report(error: BaseException) -> int:
    """Print what went wrong on stderr; return the exit code."""
    if isinstance(error, click.exceptions.Abort):
        click.echo("已取消", err=True)
        return 1
    if isinstance(error, click.exceptions.NoArgsIsHelpError):
        error.show()  # a group called without a subcommand: its help
        return error.exit_code
    if isinstance(error, click.UsageError):
        command = error.ctx.command_path if error.ctx is not None else "tracker"
        click.echo(f"错误：{usage_message(error)}", err=True)
        click.echo(f"查看用法：{command} --help", err=True)
        return error.exit_code
    if isinstance(error, click.FileError):
        click.echo(f"错误：无法打开文件 {error.ui_filename}", err=True)
        return error.exit_code
    if isinstance(error, click.ClickException):
        click.echo(f"错误：{_chinese_or(error.format_message(), '命令未能完成')}", err=True)
        return error.exit_code
    if isinstance(error, TrackerError):
        details = getattr(error, "details", "")  # a tool's own output (pg_dump), English
        where = _log(details) if details else None
        click.echo(f"错误：{error}" + (f"（详细信息已记入 {where}）" if where else ""), err=True)
        if details and _debug():
            click.echo(details, err=True)
        return error.exit_code
    failure = database_failure(error)
    if failure is not None:
        click.echo(f"错误：{failure}", err=True)
        return failure.exit_code
    if isinstance(error, OSError) and (message := os_error_message(error)):
        click.echo(f"错误：{message}", err=True)
        return OS_ERROR_EXIT
    where = _log("".join(traceback.format_exception(error)))
    details = f"详细信息已记入 {where}" if where else "设置环境变量 TRACKER_DEBUG=1 后重试可看到详细信息"
    click.echo(f"内部错误：操作已中止，未完成的改动已撤销。{details}", err=True)
    if _debug():
        traceback.print_exception(error, file=sys.stderr)
    return INTERNAL_ERROR_EXIT


def os_error_message(error: OSError) -> str | None:
    """The operating system's refusals a person can fix, in Chinese (None: an internal error)."""
    where = f"：{error.filename}" if error.filename else ""
    if error.errno in (errno.EACCES, errno.EPERM):
        return f"没有权限{where}（请检查文件或目录的权限）"
    if error.errno == errno.ENOENT:
        return f"文件或目录不存在{where}"
    if error.errno == errno.EISDIR:
        return f"这是一个目录，不是文件{where}"
    if error.errno == errno.EROFS:
        return f"文件系统只读，无法写入{where}"
    if error.errno == errno.EADDRINUSE:
        return "地址或端口已被占用（另一个 tracker serve 或其他程序正在使用，请换一个端口）"
    if error.errno == errno.EADDRNOTAVAIL:
        return "本机没有这个地址，无法在其上提供服务（请检查 --host）"
    return None


def usage_message(error: click.UsageError) -> str:
    """Click's usage errors in Chinese (our own ``UsageError`` messages are Chinese already)."""
    if isinstance(error, click.exceptions.NoSuchOption):
        guess = f"（是否想用 {'、'.join(error.possibilities)}？）" if error.possibilities else ""
        return f"没有选项 {error.option_name}{guess}"
    if isinstance(error, click.exceptions.NoSuchCommand):
        guess = f"（是否想用 {'、'.join(error.possibilities)}？）" if error.possibilities else ""
        return f"没有命令 {error.command_name}{guess}"
    if isinstance(error, click.MissingParameter):
        hint = _hint(error)
        kind = error.param.param_type_name if error.param is not None else error.param_type
        return f"缺少选项 {hint}" if kind == "option" else f"缺少参数 {hint}"
    if isinstance(error, click.BadParameter):
        if _CJK.search(error.message):
            return f"{_hint(error)}：{error.message}"
        return f"{_hint(error)} 的值无效：{_expected(error.param)}"
    if isinstance(error, click.BadOptionUsage):
        if "requires an argument" in error.message:
            return f"选项 {error.option_name} 后面需要一个值"
        if "does not take a value" in error.message:
            return f"选项 {error.option_name} 不接受值"
    if _CJK.search(error.message):
        return error.message
    extra = re.match(r"Got unexpected extra arguments? \((.*)\)", error.message)
    if extra:
        return f"多余的参数：{extra.group(1)}"
    if error.message.startswith("Missing command"):
        return "缺少子命令"
    return "命令用法不正确"


def _hint(error: click.BadParameter) -> str:
    hint = error.param_hint
    if hint is None and error.param is not None and error.ctx is not None:
        hint = error.param.get_error_hint(error.ctx)
    if hint is None:
        return "参数"
    return (hint if isinstance(hint, str) else " / ".join(hint)).replace("'", "")


def _expected(param: click.Parameter | None) -> str:
    kind = getattr(param, "type", None)
    if isinstance(kind, click.DateTime):
        return "应为日期，格式 " + " 或 ".join(f.replace("%Y", "YYYY").replace("%m", "MM")
                                               .replace("%d", "DD").replace("%H", "HH")
                                               .replace("%M", "MM") for f in kind.formats)
    if isinstance(kind, click.Choice):
        return "应为以下之一：" + "、".join(str(c) for c in kind.choices)
    if isinstance(kind, (click.IntRange, click.FloatRange)):
        low = "" if kind.min is None else str(kind.min)
        high = "" if kind.max is None else str(kind.max)
        return f"应为 {low}～{high} 范围内的数" if low and high else (
            f"应不小于 {low}" if low else f"应不大于 {high}")
    if isinstance(kind, click.types.IntParamType):
        return "应为整数"
    if isinstance(kind, click.types.FloatParamType):
        return "应为数字"
    if isinstance(kind, click.Path):
        return "路径不存在或无法使用"
    return "格式不对"


def _chinese_or(text: str, fallback: str) -> str:
    return text if _CJK.search(text) else fallback


def _debug() -> bool:
    return os.environ.get("TRACKER_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}


def _log(details: str) -> Path | None:
    """Append ``details`` (a traceback, a tool's output) to the instance's error log; its
    path, or None if it cannot be written.  Not the command line: it may hold a password
    (user create --password)."""
    from tracker.config import Config

    return write_error_log(os.environ.get("TRACKER_INSTANCE_PATH") or Config.instance_path, details)


__all__ = ["INTERNAL_ERROR_EXIT", "OS_ERROR_EXIT", "os_error_message", "report", "usage_message"]
