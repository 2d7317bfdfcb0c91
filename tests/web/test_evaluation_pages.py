"""年终自评 pages: the year list, the 自评表 form, saving, freezing, history, who may do what.

The project: 全年预算数 200,000 元, 全年执行数 150,000 (执行率 75%, 执行率得分 7.5; 结余率 25% →
warning).  No 效益: 产出 50 × 90/60 = 75, 满意度 10 × 90/60 = 15.
    支持企业数 ≥10家, A = 8: 8/10 × 75 = 60
    满意度 较高, 达成年度指标: default 15; edited to 13.5 (band [12, 15])
    总分 = 60 + 15 + 7.5 = 82.5 → 良; after the edit 60 + 13.5 + 7.5 = 81 → 良
"""

from __future__ import annotations

import re
from decimal import Decimal

from sqlalchemy import select

from tests.conftest import post_form
from tests.monitoring_builders import make_unit, year_end_project
from tracker.models import Evaluation, Role


def _project(session, unit=None, name: str = "科技<创新>券"):  # type: ignore[no-untyped-def]
    unit = unit or make_unit(session, "科技局")
    return unit, year_end_project(session, unit, name)


def _ids(evaluation: Evaluation) -> tuple[str, str]:
    return str(evaluation.indicators[0].id), str(evaluation.indicators[1].id)


def test_unit_staff_create_edit_and_freeze(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit, project = _project(session)
    logged_in(Role.unit_staff, units=[unit])
    url = f"/projects/{project.id}/evaluation"
    page = client.get(url).get_data(as_text=True)
    assert "尚未进行 2025 年度自评" in page and "创建自评草稿" in page

    assert post_form(client, f"{url}/new").status_code == 302
    draft = session.scalar(select(Evaluation).where(Evaluation.project_id == project.id))
    assert draft is not None and draft.total == Decimal("82.5000")
    page = client.get(url).get_data(as_text=True)
    assert "科技&lt;创新&gt;券" in page and "<创新>" not in page
    assert "项目资金（万元）" in page and "15.00" in page  # 全年执行数 in 万元
    assert "75.00%" in page and "7.50" in page and "82.50" in page and "良" in page
    assert 'value="8家"' in page and "结余率25.00%超过20%" in page
    assert "仍要提交的理由" in page and "提交并冻结" in page
    # irreversible: the freeze button asks first (app.js), the save button does not
    assert re.search(r'value="freeze" class="primary" data-confirm="提交并冻结第 1 次自评？提交后不能再修改', page)
    assert 'value="save" data-confirm' not in page

    firms, satisfaction = _ids(draft)
    response = post_form(client, f"{url}/1", {
        f"actual_{firms}": "8家", f"achievement_{satisfaction}": "achieved",
        f"score_{satisfaction}": "16", f"reason_{firms}": "企业申报不足"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "未保存" in page and "得分应在 [12, 15] 之间" in page and 'value="16"' in page
    # the error stands under the score field it concerns, not only in a banner at the top
    score_field = page.index(f'name="score_{satisfaction}"')
    error = page.index(f'<p class="field-error" id="error-score_{satisfaction}">')
    assert score_field < error < page.index("</td>", score_field)
    assert "得分应在 [12, 15] 之间" in page[error:page.index("</p>", error)]

    response = post_form(client, f"{url}/1", {
        f"actual_{firms}": "8家", f"achievement_{satisfaction}": "achieved",
        f"score_{satisfaction}": "13.5", f"reason_{firms}": "企业申报不足",
        f"reason_{satisfaction}": "个别企业反映流程长", "goal_actual": "基本完成", "action": "freeze"})
    assert response.status_code == 400  # saved, but 结余率 > 20% needs a reason
    refused = response.get_data(as_text=True)
    assert "未提交" in refused
    reason_box = refused.index('name="warnings_reason"')
    assert reason_box < refused.index('id="error-warnings_reason">存在以下提示') < reason_box + 400
    session.expire_all()
    draft = session.get(Evaluation, draft.id)
    assert draft.total == Decimal("81.0000") and not draft.frozen and draft.goal_actual == "基本完成"

    response = post_form(client, f"{url}/1", {
        f"score_{satisfaction}": "13.5", "warnings_reason": "年底采购款已于次年1月支付", "action": "freeze"})
    assert response.status_code == 302
    # back to the submit card, which says what happened (the page does not jump to its top)
    assert response.headers["Location"].endswith("?number=1&saved=frozen#evaluation-submit")
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    card = done[done.index('id="evaluation-submit"'):]
    assert card.index("已提交并冻结，此后不再改变。") < card.index("</section>")
    session.expire_all()
    draft = session.get(Evaluation, draft.id)
    assert draft.frozen and draft.warnings_reason == "年底采购款已于次年1月支付"

    page = client.get(url).get_data(as_text=True)
    assert "提交冻结" in page and 'name="actual_' not in page and "按当前数据新建第2次自评" in page
    assert "年底采购款已于次年1月支付" in page
    assert post_form(client, f"{url}/1", {f"score_{satisfaction}": "14"}).status_code == 409

    assert post_form(client, f"{url}/new").status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "第2次自评" in page and "这是历史记录" not in page
    assert f'<a href="{url}?number=1">第1次</a>' in page  # 自评记录 links every attempt
    old = client.get(f"{url}?number=1").get_data(as_text=True)
    assert "这是历史记录" in old and "81.00" in old


def test_readers_see_but_do_not_edit(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit, project = _project(session)
    logged_in(Role.unit_staff, units=[unit])
    post_form(client, f"/projects/{project.id}/evaluation/new")
    for role in (Role.leader, Role.finance, Role.auditor):
        logged_in(role)
        page = client.get(f"/projects/{project.id}/evaluation").get_data(as_text=True)
        assert "82.50" in page and "8家" in page
        assert 'name="actual_' not in page and "提交并冻结" not in page
        assert post_form(client, f"/projects/{project.id}/evaluation/1", {}).status_code == 403


def test_unit_staff_get_404_for_another_units_project(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    _, project = _project(session)
    other = make_unit(session, "他单位")
    session.commit()
    logged_in(Role.unit_staff, units=[other])
    base = f"/projects/{project.id}/evaluation"
    assert client.get(base).status_code == 404
    assert post_form(client, f"{base}/new").status_code == 404
    assert post_form(client, f"{base}/1", {"action": "freeze"}).status_code == 404
    assert session.scalar(select(Evaluation.id)) is None
    assert "科技" not in client.get("/evaluations?year=2025").get_data(as_text=True)


def test_year_list_and_drafts_for_all(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    unit, project = _project(session)
    _, second = _project(session, unit, name="第二个项目")
    other_unit, elsewhere = _project(session, make_unit(session, "他单位"), name="他单位项目")
    logged_in(Role.unit_staff, units=[unit])
    page = client.get("/evaluations?year=2025").get_data(as_text=True)
    assert page.count("未自评") == 2 and "他单位项目" not in page

    response = post_form(client, "/evaluations/create", {"year": "2025"}, follow_redirects=True)
    assert "已为 2 个项目创建自评草稿" in response.get_data(as_text=True)
    assert session.scalar(select(Evaluation).where(Evaluation.project_id == elsewhere.id)) is None

    logged_in(Role.leader)
    page = client.get("/evaluations?year=2025").get_data(as_text=True)
    assert "草稿（第1次）" in page and "82.50" in page and "未自评" in page
    assert "为尚无自评的项目创建草稿" not in page
    rows = re.findall(r"<h2>([^<]+)</h2>", page)
    assert len(rows) == 2  # one section per unit
    filtered = client.get(f"/evaluations?year=2025&unit={other_unit.id}").get_data(as_text=True)
    assert "他单位项目" in filtered and "第二个项目" not in filtered


def test_the_nav_and_the_project_page_link_here(client, logged_in, session) -> None:  # type: ignore[no-untyped-def]
    _, project = _project(session)
    logged_in(Role.leader)
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert f'href="/projects/{project.id}/evaluation"' in page and 'href="/evaluations"' in page
