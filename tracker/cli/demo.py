"""``tracker demo load``: the seed documents, sample ledgers and demo users."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from tracker.cli.context import Context, echo_json, json_object_option, pass_context, read_files, waiting_notice
from tracker.cli.help import TrackerGroup


@click.group(cls=TrackerGroup, help="演示数据")
def demo() -> None:
    pass


#: Demo ledgers (copied from the sample exports) and the period a clerk would declare for
#: those that print none.
DEMO_LEDGERS = {
    "grp_mingxizhang_gaoxinqu_2023.xlsx": None,
    "yitihua_payments_tangshan_2021H1.xlsx": None,
    "payments_shizuishan_2025H1_utf8bom.csv": "2025-01-01..2025-06-30",
}


@demo.command("load", help="导入 seeds/ 中的五份绩效目标文件和三份示例台账（已导入的不会重复），"
                           "并创建演示用户（财务、领导、一个单位的填报人员）、打印其密码")
@json_object_option
@pass_context
def demo_load(ctx: Context, as_json: bool) -> None:
    from tracker.config import PROJECT_ROOT
    from tracker.services.ledger_import import LedgerUpload, commit, prepare
    from tracker.services.ledger_lock import retrying
    from tracker.services.target_import import apply_import, plan_import

    seeds = PROJECT_ROOT / "seeds"
    paths = sorted(str(p) for p in seeds.glob("*.txt"))
    with ctx.transaction(write=True) as session:
        plan = plan_import(session, read_files(tuple(paths)))
        apply_import(session, plan, "demo")
    answer: dict[str, Any] = {"projects_created": plan.count("created"), "projects_updated": plan.count("updated"),
                              "projects_unchanged": plan.count("unchanged"), "ledgers": [], "users": []}
    say = (lambda text: None) if as_json else click.echo
    say(f"演示数据：新建 {plan.count('created')} 个、更新 {plan.count('updated')} 个、"
        f"未变 {plan.count('unchanged')} 个项目")
    for name, period in DEMO_LEDGERS.items():
        path = seeds / "ledgers" / name
        with ctx.transaction(write=True) as session:
            preview = prepare(session, LedgerUpload(name, path.read_bytes()), period=period)

        def write(preview: Any = preview) -> Any:
            with ctx.transaction(write=True) as session:
                return commit(session, preview, "demo", today=ctx.today(), waiting=waiting_notice())

        result = retrying(write)
        answer["ledgers"].append({"file": name, "imported": result.imported,
                                  "batch_id": result.batch.id if result.imported else None,
                                  "counted_rows": result.preview.counted_rows if result.imported else 0})
        say(f"演示台账 {name}：" + (f"批次 {result.batch.id}，计入 {result.preview.counted_rows} 行"
                                  if result.imported else "已导入过，跳过"))
    answer["users"] = _demo_users(ctx, say)
    if as_json:
        echo_json(answer)


def _demo_users(ctx: Context, say: Callable[[str], None]) -> list[dict[str, Any]]:
    """Create the demo users (``services.demo_users``) and say how to sign in as each."""
    from tracker.services.demo_users import demo_users_file, ensure_demo_users

    instance = Path(ctx.config.instance_path)
    with ctx.transaction(write=True) as session:
        logins = ensure_demo_users(session, instance)
    say(f"演示用户（只由 tracker demo load 创建；密码也在 {demo_users_file(instance)}）：")
    for login in logins:
        scope = f"，填报单位：{login.unit}" if login.unit else ""
        say(f"  {login.role.label}：用户名 {login.username}  密码 {login.password}{scope}")
    return [{"role": login.role.value, "username": login.username, "password": login.password,
             "unit": login.unit or None, "password_file": str(demo_users_file(instance))} for login in logins]
