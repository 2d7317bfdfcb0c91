"""The house style of the Word reports: a python-docx ``Writer`` that produces A4 pages with the
page number in the footer, real Heading 1/2/3 styles with East-Asian fonts set on the styles
(黑体 / 楷体 / 仿宋 / 宋体 through ``w:eastAsia``), numbered tables in "Table Grid" (bold shaded
header repeated on every page, rows that never split), numbered figures from
``tracker.reports.charts`` as inline PNG images, and the highlighted “【待补充：…】” markers.

Deterministic: the only date in the document properties is the one given to ``to_bytes``, and the
zip entries carry a fixed timestamp, so the same content gives the same bytes.

Charts are drawn in one kaleido session per document; if that fails (no Chromium, a crash), the
document is still produced and ``chart`` writes, once, the sentence that they could not be drawn;
a warning is logged.
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from tracker.reports.charts import Chart, ChartsUnavailable, render_png

log = logging.getLogger(__name__)

CHARTS_FAILED = "图表未能生成"
TEXT_WIDTH_CM = 15.6  # A4 21 cm − 2.8 cm − 2.6 cm margins
MAX_FIGURE_HEIGHT_CM = 20.0


@dataclass(frozen=True)
class Pending:
    """Text the record lacks: printed as the highlighted marker “【待补充：what】”."""

    what: str

    def __str__(self) -> str:
        return f"【待补充：{self.what}】"


Part = str | Pending


_FONTS = {  # style → (East-Asian font, size pt, bold)
    "Normal": ("仿宋", 14, False),
    "Body Text": ("仿宋", 14, False),
    "Title": ("宋体", 22, True),
    "Heading 1": ("黑体", 16, False),
    "Heading 2": ("楷体", 15, True),
    "Heading 3": ("仿宋", 14, True),
    "Caption": ("黑体", 10.5, False),
}
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def _set_fonts(style_element: object, east_asia: str, latin: str = "Times New Roman") -> None:
    """Explicit fonts on a style's (or docDefaults') rPr; theme fonts removed, else they win."""
    rpr = style_element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:eastAsiaTheme", "w:hAnsiTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)


class Writer:
    """A python-docx Document with the house styles, numbered tables and figures."""

    def __init__(self, title: str, charts: Sequence[Chart], draw: bool) -> None:
        self.title = title
        self.doc = Document()
        self.tables = 0
        self.figures = 0
        self.images: list[bytes] = []
        self.failure: str | None = None
        self.failure_told = False
        self._charts = charts
        self._after_block = False  # the last thing added was a table or a figure
        self.pending = 0  # markers written
        if draw and charts:
            try:
                self.images = render_png(charts)
            except ChartsUnavailable as exc:
                self.failure = str(exc)
                log.warning("%s：%s（%s）", CHARTS_FAILED, exc, title)
        self._page()
        self._styles()
        heading = self.doc.add_paragraph(title, style="Title")
        heading.alignment = WD_ALIGN_PARAGRAPH.CENTER

    def _page(self) -> None:
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        section.top_margin, section.bottom_margin = Cm(3.0), Cm(2.8)
        section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)
        # page number in the footer: "— 1 —"
        footer = section.footer.paragraphs[0]
        footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
        footer.add_run("— ")
        run = footer.add_run()
        for tag, text in (("begin", None), (None, "PAGE"), ("end", None)):
            if tag:
                field = OxmlElement("w:fldChar")
                field.set(qn("w:fldCharType"), tag)
                run._r.append(field)
            else:
                instr = OxmlElement("w:instrText")
                instr.set(qn("xml:space"), "preserve")
                instr.text = text
                run._r.append(instr)
        footer.add_run(" —")

    def _styles(self) -> None:
        styles = self.doc.styles
        defaults = styles.element.find(qn("w:docDefaults"))
        rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
        fonts = rpr.find(qn("w:rFonts"))
        for attr in ("w:asciiTheme", "w:eastAsiaTheme", "w:hAnsiTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attr), None)
        fonts.set(qn("w:ascii"), "Times New Roman")
        fonts.set(qn("w:hAnsi"), "Times New Roman")
        fonts.set(qn("w:eastAsia"), "仿宋")
        lang = rpr.find(qn("w:lang"))
        if lang is not None:
            lang.set(qn("w:eastAsia"), "zh-CN")
        for name, (east_asia, size, bold) in _FONTS.items():
            style = styles[name]
            _set_fonts(style.element, east_asia)
            style.font.size = Pt(size)
            style.font.bold = bold
            style.font.color.rgb = RGBColor(0, 0, 0)
            fmt = style.paragraph_format
            fmt.line_spacing = 1.25 if name in ("Normal", "Body Text") else 1.0
            fmt.space_after = Pt(0) if name in ("Normal", "Body Text", "Caption") else Pt(6)
        styles["Body Text"].paragraph_format.first_line_indent = Pt(28)  # two characters
        styles["Body Text"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        for name in ("Heading 1", "Heading 2", "Heading 3"):
            styles[name].paragraph_format.space_before = Pt(12 if name == "Heading 1" else 6)
            styles[name].paragraph_format.first_line_indent = Pt(28) if name != "Heading 1" else None
        title = styles["Title"].element
        ppr = title.find(qn("w:pPr"))
        if ppr is not None and ppr.find(qn("w:pBdr")) is not None:
            ppr.remove(ppr.find(qn("w:pBdr")))
        styles["Title"].paragraph_format.space_after = Pt(12)
        styles["Caption"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        styles["Caption"].paragraph_format.space_before = Pt(6)
        styles["Caption"].paragraph_format.space_after = Pt(3)
        table_text = styles.add_style("Table Text", WD_STYLE_TYPE.PARAGRAPH)
        table_text.base_style = styles["Normal"]
        table_text.font.size = Pt(9)
        table_text.paragraph_format.line_spacing = 1.0
        table_text.paragraph_format.first_line_indent = None
        note = styles.add_style("Data Note", WD_STYLE_TYPE.PARAGRAPH)
        note.base_style = styles["Normal"]
        note.font.size = Pt(10.5)
        note.paragraph_format.space_before = Pt(18)

    # -- content --

    def heading(self, text: str, level: int) -> None:
        self.doc.add_heading(text, level)
        self._after_block = False

    def centered(self, text: str) -> None:
        self.doc.add_paragraph(text, style="Normal").alignment = WD_ALIGN_PARAGRAPH.CENTER

    def para(self, *parts: Part, style: str = "Body Text") -> None:
        paragraph = self.doc.add_paragraph(style=style)
        if self._after_block:  # a little air below a table or a figure
            paragraph.paragraph_format.space_before = Pt(6)
            self._after_block = False
        self._runs(paragraph, parts)

    def note(self, text: str) -> None:
        self.doc.add_paragraph(text, style="Data Note")

    def _runs(self, paragraph: object, parts: Iterable[Part]) -> None:
        for part in parts:
            run = paragraph.add_run(str(part))  # type: ignore[attr-defined]
            if isinstance(part, Pending):
                self.pending += 1
                run.font.highlight_color = WD_COLOR_INDEX.YELLOW
                run.font.bold = True

    def table(self, caption: str, header: Sequence[str], rows: Sequence[Sequence[Part]], *,
              widths: Sequence[float], numeric: Iterable[int] = (), total_row: bool = False) -> None:
        """表N caption above; a bold, shaded header row repeated on every page; fixed widths."""
        self.tables += 1
        self.doc.add_paragraph(f"表{self.tables} {caption}", style="Caption").paragraph_format.keep_with_next = True
        numeric = set(numeric)
        scale = min(1.0, TEXT_WIDTH_CM / sum(widths))
        table = self.doc.add_table(rows=1 + len(rows), cols=len(header))
        table.style = "Table Grid"
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        layout = OxmlElement("w:tblLayout")
        layout.set(qn("w:type"), "fixed")
        table._tbl.tblPr.append(layout)
        for column, width in zip(table.columns, widths):
            column.width = Cm(width * scale)
        for r, values in enumerate([list(header), *rows]):
            row = table.rows[r]
            props = row._tr.get_or_add_trPr()
            props.append(OxmlElement("w:cantSplit"))  # a row never breaks across pages
            if r == 0:
                props.append(OxmlElement("w:tblHeader"))  # header repeated on every page
            for c, (cell, value) in enumerate(zip(row.cells, values)):
                cell.width = Cm(widths[c] * scale)
                paragraph = cell.paragraphs[0]
                paragraph.style = self.doc.styles["Table Text"]
                if r == 0:
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
                    _shade(cell, "D9D9D9")
                elif c in numeric:
                    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                self._runs(paragraph, [value])
                if r == 0 or (total_row and r == len(rows)):
                    for run in paragraph.runs:
                        run.font.bold = True
        self._after_block = True

    def chart(self, index: int, caption: str) -> None:
        """图N: the index-th chart of the document, or (once) the sentence that charts failed."""
        if index < len(self.images):
            chart = self._charts[index]
            width = min(chart.width_cm, MAX_FIGURE_HEIGHT_CM * chart.width / chart.height)
            picture = self.doc.add_paragraph(style="Normal")
            picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
            picture.paragraph_format.space_before = Pt(9)
            picture.paragraph_format.keep_with_next = True
            picture.add_run().add_picture(io.BytesIO(self.images[index]), width=Cm(width))
            self.figures += 1
            self.doc.add_paragraph(f"图{self.figures} {caption}", style="Caption")
            self._after_block = True
            if chart.note:
                self.para(chart.note)
        elif self.failure and not self.failure_told:
            self.failure_told = True
            self.para(f"（{CHARTS_FAILED}：{self.failure}。请在编辑时补充图表或重新生成本报告。）")

    def to_bytes(self, generated_on: date) -> bytes:
        props = self.doc.core_properties
        stamp = datetime.combine(generated_on, time())
        props.title = self.title
        props.author = props.last_modified_by = "tracker"
        props.created = props.modified = props.last_printed = stamp
        props.revision = 1
        props.comments = ""
        buffer = io.BytesIO()
        self.doc.save(buffer)
        return _fixed_zip_times(buffer.getvalue())


def _shade(cell: object, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)  # type: ignore[attr-defined]


def _fixed_zip_times(data: bytes) -> bytes:
    """The same package with every entry dated 1980-01-01, so equal documents are equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(info.filename))
    return out.getvalue()
