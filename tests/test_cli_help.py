"""``tracker … --help`` frames every page in Chinese (the texts themselves are ours)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from tracker.cli import cli

ENGLISH_FRAMING = ("Usage:", "Options:", "Commands:", "Arguments:", "Show this message", "[default:",
                   "required]", " TEXT", " INTEGER", "[OPTIONS]", "COMMAND [ARGS]", "%Y")


def _commands(group, path=()):  # type: ignore[no-untyped-def]
    yield path
    for name, command in getattr(group, "commands", {}).items():
        if not command.hidden:
            yield from _commands(command, (*path, name))


@pytest.mark.parametrize("path", list(_commands(cli)), ids=lambda p: " ".join(p) or "tracker")
def test_every_help_page_is_framed_in_chinese(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="tracker")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("用法：tracker")
    assert "选项：" in result.output and "显示此帮助并退出" in result.output
    assert [word for word in ENGLISH_FRAMING if word in result.output] == []


def test_a_group_without_a_command_shows_its_chinese_help() -> None:
    result = CliRunner().invoke(cli, ["db"], prog_name="tracker")
    assert "用法：tracker db [选项] 命令 [参数]..." in result.output and "命令：" in result.output
