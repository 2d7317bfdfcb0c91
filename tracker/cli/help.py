"""Click's help pages with Chinese framing: ``用法：``, ``选项``/``命令``/``参数`` headings, the
``--help`` line and the ``[默认：…]`` / ``[必填]`` notes.  The root group is a ``TrackerGroup``;
every command and group made under it inherits these classes."""

from __future__ import annotations

import re
from typing import Any

import click

HELP_TEXT = "显示此帮助并退出"
HEADINGS = {"Options": "选项", "Commands": "命令", "Arguments": "参数", "Positional arguments": "参数"}
_USAGE_WORDS = (("[OPTIONS]", "[选项]"), ("[COMMAND] [ARGS]...", "[命令] [参数]..."),
                ("COMMAND [ARGS]...", "命令 [参数]..."))
#: click's type names after an option, and strftime formats, as a person reads them
_TYPES = ((" INTEGER RANGE", " 整数"), (" FLOAT RANGE", " 数字"), (" INTEGER", " 整数"), (" FLOAT", " 数字"),
          (" TEXT", " 文本"), (" PATH", " 路径"), (" FILENAME", " 文件"), (" BOOLEAN", " 是/否"),
          ("%Y", "YYYY"), ("%m", "MM"), ("%d", "DD"), ("%H", "HH"), ("%M", "mm"))
_NOTES = (("default: ", "默认："), ("env var: ", "环境变量："), ("required", "必填"), ("(dynamic)", "（动态）"))


class ChineseHelpFormatter(click.HelpFormatter):
    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        for english, chinese in _USAGE_WORDS:
            args = args.replace(english, chinese)
        super().write_usage(prog, args, prefix="用法：" if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        self.write(f"{'':>{self.current_indent}}{HEADINGS.get(heading, heading)}：\n")

    def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl([(_term(term), _notes(text)) for term, text in rows], col_max, col_spacing)


def _term(term: str) -> str:
    for english, chinese in _TYPES:
        term = term.replace(english, chinese)
    return term


def _notes(text: str) -> str:
    def translate(match: re.Match[str]) -> str:
        inner = match.group(1)
        for english, chinese in _NOTES:
            inner = inner.replace(english, chinese)
        return f"[{inner}]"

    return re.sub(r"\[([^\[\]]*)\]\s*$", translate, text)


class TrackerContext(click.Context):
    formatter_class = ChineseHelpFormatter


class _ChineseHelpOption:
    """The ``--help`` option described in Chinese."""

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = HELP_TEXT
        return option


class TrackerCommand(_ChineseHelpOption, click.Command):
    context_class = TrackerContext


class TrackerGroup(_ChineseHelpOption, click.Group):
    context_class = TrackerContext
    command_class = TrackerCommand
    group_class = type  # subgroups are TrackerGroups too


__all__ = ["TrackerCommand", "TrackerGroup"]
