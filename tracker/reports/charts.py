"""Charts of the Word reports: Plotly figures built from the form records, drawn to PNG by
kaleido driving a headless Chromium.

Which browser: ``BROWSER_PATH`` when set (choreographer's own variable), else Debian's
``/usr/bin/chromium``, else ``chromium`` / ``chromium-browser`` / ``google-chrome`` on
``PATH``.  kaleido's page loads the plotly.js bundled with the ``plotly`` package and MathJax
is switched off, so drawing needs no network.

Every figure of one document is drawn in one browser session (start-up is most of the cost).
Any failure — no browser, a crash, a timeout — raises ``ChartsUnavailable``; the document
builders then leave the charts out and say so.

Labels are Chinese: the layout asks for "Noto Sans CJK SC" first (Debian's fonts-noto-cjk),
then the usual Windows/macOS CJK fonts.  Floats appear only as chart coordinates; the text
on the bars is formatted from the ``Decimal`` values.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import plotly.graph_objects as go

from tracker.core.labels import GRADES
from tracker.reports.forms import MonitoringSheet, SelfEvalSheet

CJK_FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, SimHei, PingFang SC, sans-serif"
DEBIAN_CHROMIUM = "/usr/bin/chromium"
#: Seconds allowed for start-up plus every figure of one document.
RENDER_TIMEOUT = 120
#: At most this many projects per bar chart (the ones furthest behind plan / lowest score).
MAX_BARS = 25
LABEL_CHARS = 18

STATUS_COLOURS = {
    "red": "#d62728", "yellow": "#f2b701", "green": "#2ca02c", "blue": "#1f77b4",
    "grey": "#9e9e9e", "overspent": "#8c1d40",
}
GRADE_COLOURS = {"优": "#2ca02c", "良": "#1f77b4", "中": "#f2b701", "差": "#d62728"}


class ChartsUnavailable(RuntimeError):
    """The charts could not be drawn; ``str()`` says why, in Chinese."""


@dataclass(frozen=True)
class Chart:
    """One figure and the size it is drawn at (CSS pixels; drawn at ``scale`` 2)."""

    title: str
    figure: go.Figure
    width: int = 900
    height: int = 480
    note: str = ""  # a sentence for the document under the chart ('' = none)
    width_cm: float = 15.6  # width in the Word document (the text width of A4 with our margins)


# --- figures --------------------------------------------------------------------------------


def _label(name: str) -> str:
    return name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1] + "…"


def _pct(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{value.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}%"


def _layout(title: str, height: int, **extra: object) -> dict[str, object]:
    return {
        "title": {"text": title, "x": 0.5, "xanchor": "center"},
        "font": {"family": CJK_FONT, "size": 16},
        "template": "plotly_white",
        "height": height,
        "margin": {"l": 20, "r": 40, "t": 90, "b": 50},
        **extra,
    }


def execution_chart(sheets: Sequence[MonitoringSheet], month: int) -> Chart:
    """执行率 against 计划进度 per project (horizontal bars), coloured by money status.

    Projects with a 全年预算数 of 0 have no 执行率 and are left out.  With more than
    ``MAX_BARS`` projects, the ones furthest behind plan are shown.
    """
    rated = [s for s in sheets if s.execution_rate is not None]
    note = ""
    if len(rated) > MAX_BARS:
        rated = sorted(rated, key=lambda s: s.execution_rate - s.planned_pct)[:MAX_BARS]  # type: ignore[operator]
        note = f"图中仅列出执行率落后计划进度最多的 {MAX_BARS} 个项目。"
    left_out = len(sheets) - len([s for s in sheets if s.execution_rate is not None])
    if left_out:
        note += f"全年预算数为 0 的 {left_out} 个项目没有执行率，未列入图中。"
    rated = list(reversed(rated))  # first project on top
    names = [_label(s.project_name) for s in rated]
    height = max(320, 130 + 44 * len(rated))
    figure = go.Figure(
        data=[
            go.Bar(name="计划进度", y=names, x=[float(s.planned_pct) for s in rated], orientation="h",
                   marker_color="#c7c7c7", text=[_pct(s.planned_pct) for s in rated],
                   textposition="outside", cliponaxis=False),
            go.Bar(name=f"1-{month}月执行率（颜色为资金状态）", y=names, x=[float(s.execution_rate or 0) for s in rated],
                   orientation="h", text=[_pct(s.execution_rate) for s in rated], textposition="outside",
                   cliponaxis=False,
                   marker_color=[STATUS_COLOURS.get(s.money_status, "#9e9e9e") for s in rated]),
        ],
        layout=_layout(f"1-{month}月各项目执行率与计划进度（%）", height, barmode="group",
                       xaxis={"ticksuffix": "%", "rangemode": "tozero", "automargin": True},
                       yaxis={"automargin": True},
                       legend={"orientation": "h", "y": 1.0, "x": 0.5, "xanchor": "center",
                               "yanchor": "bottom", "traceorder": "reversed"}),
    )
    return Chart("执行率与计划进度", figure, width=820, height=height, note=note)


def score_chart(sheets: Sequence[SelfEvalSheet]) -> Chart:
    """自评得分 per project (horizontal bars, lowest first), coloured by grade."""
    shown = sorted(sheets, key=lambda s: (s.total, s.project_name))
    note = ""
    if len(shown) > MAX_BARS:
        shown = shown[:MAX_BARS]
        note = f"图中仅列出得分最低的 {MAX_BARS} 个项目。"
    shown = list(reversed(shown))  # highest on top, lowest at the bottom
    height = max(320, 110 + 34 * len(shown))
    figure = go.Figure(
        data=[go.Bar(
            y=[_label(s.project_name) for s in shown], x=[float(s.total) for s in shown],
            orientation="h", marker_color=[GRADE_COLOURS.get(s.grade, "#9e9e9e") for s in shown],
            text=[f"{s.total.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}（{s.grade}）"
                  for s in shown],
            textposition="outside", cliponaxis=False,
        )],
        layout=_layout("各项目自评得分", height, showlegend=False,
                       xaxis={"range": [0, 115], "tickvals": [0, 20, 40, 60, 80, 90, 100]},
                       yaxis={"automargin": True}),
    )
    return Chart("各项目自评得分", figure, width=820, height=height, note=note)


def grade_chart(sheets: Sequence[SelfEvalSheet]) -> Chart:
    """Number of projects per grade 优 / 良 / 中 / 差."""
    counts = [sum(1 for s in sheets if s.grade == g) for g in GRADES]
    figure = go.Figure(
        data=[go.Bar(x=list(GRADES), y=counts, marker_color=[GRADE_COLOURS[g] for g in GRADES],
                     text=[f"{c} 个" for c in counts], textposition="outside", cliponaxis=False)],
        layout=_layout("自评等级分布（项目个数）", 360, showlegend=False,
                       yaxis={"dtick": 1, "rangemode": "tozero"}),
    )
    return Chart("自评等级分布", figure, width=700, height=360, width_cm=11.0)


# --- drawing --------------------------------------------------------------------------------


def browser_path() -> str | None:
    """The Chromium kaleido drives: ``BROWSER_PATH``, Debian's, or one on ``PATH``."""
    if explicit := os.environ.get("BROWSER_PATH"):
        return explicit
    if Path(DEBIAN_CHROMIUM).is_file():
        return DEBIAN_CHROMIUM
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    return None


async def _draw(charts: Sequence[Chart], path: str) -> list[bytes]:
    import kaleido  # slow import, and only needed here

    async with kaleido.Kaleido(path=path, mathjax=False, n=1, timeout=60) as k:
        return [await k.calc_fig(c.figure, opts={"format": "png", "width": c.width,
                                                  "height": c.height, "scale": 2})
                for c in charts]


def render_png(charts: Sequence[Chart]) -> list[bytes]:
    """PNG bytes of each chart, all drawn in one browser session.

    Runs the asyncio loop on its own thread, so it works whether or not the caller is
    inside an event loop.  Raises ``ChartsUnavailable`` on any failure.
    """
    if not charts:
        return []
    path = browser_path()
    if path is None or not Path(path).is_file():
        raise ChartsUnavailable(f"未找到 Chromium 浏览器（{path or DEBIAN_CHROMIUM}）")

    async def bounded() -> list[bytes]:
        return await asyncio.wait_for(_draw(charts, path), RENDER_TIMEOUT)

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        try:
            images = pool.submit(asyncio.run, bounded()).result()
        except (asyncio.TimeoutError, concurrent.futures.TimeoutError) as exc:
            raise ChartsUnavailable(f"绘图超时（{RENDER_TIMEOUT} 秒）") from exc
        except Exception as exc:  # kaleido / choreographer raise many kinds
            raise ChartsUnavailable(f"绘图失败：{type(exc).__name__}: {exc}") from exc
    if len(images) != len(charts) or not all(isinstance(i, bytes) and i[:4] == b"\x89PNG" for i in images):
        raise ChartsUnavailable("绘图失败：kaleido 未返回 PNG 图像")
    return images
