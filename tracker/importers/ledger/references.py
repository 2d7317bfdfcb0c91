"""Project references as printed in 项目 and 辅助核算 cells.

* ``604002B17DX0003 科技型中小企业创新资金`` / ``[604002B17DX0003]科技型…`` /
  ``科技型…(604002B17DX0003)`` → code and name;
* 辅助核算 text ``项目：604002B17DX0003 科技型中小企业创新资金`` or
  ``部门：办公室；项目：…；功能分类：2060404 …`` → the 项目 part, plus the other dimensions;
* a plain name stays a name (``2023年科技创新券`` is not a code: a code followed directly by
  Chinese text must have at least six characters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_AUX_KEYS = ("预算项目", "项目", "部门", "功能分类", "经济分类", "资金性质", "往来单位", "个人", "供应商",
             "客户", "单位", "指标文号")
_KEY_WORDS = "|".join(_AUX_KEYS)
# "项目：…" or "【项目】…" — a key needs its colon or brackets ("项目管理费" is a name).
_AUX_KEY = re.compile(rf"(?:^|(?<=[\s;；,，|/]))(?:[【\[](?P<bracketed>{_KEY_WORDS})[】\]]\s*[:：]?"
                      rf"|(?P<plain>{_KEY_WORDS})\s*[:：])\s*")
_LEADING_CODE = re.compile(r"[\[【(（]?([A-Za-z0-9][A-Za-z0-9._\-]*)[\]】)）]?")
_TRAILING_CODE = re.compile(r"^(.*?)\s*[\[【(（]([A-Za-z0-9][A-Za-z0-9._\-]*)[\]】)）]\s*$")
_SEPARATORS = " \t\u3000-_:：|"


@dataclass(frozen=True)
class Reference:
    code: str | None
    name: str | None
    functional_class: str | None = None
    economic_class: str | None = None
    fund_nature: str | None = None
    document_no: str | None = None


def _is_code(text: str) -> bool:
    return any(ch.isdigit() for ch in text) and len(text) >= 3


def split_code_name(text: str) -> tuple[str | None, str | None]:
    """"604002B17DX0003 科技型中小企业创新资金" → ("604002B17DX0003", "科技型中小企业创新资金")."""
    text = text.strip()
    if not text:
        return None, None
    match = _LEADING_CODE.match(text)
    if match is not None and _is_code(match[1].rstrip("._-")):
        code, rest = match[1].rstrip("._-"), text[match.end():]
        separated = match[0] != code  # brackets, or a trailing "-" / "_" / "."
        if not rest:
            return code, None
        if separated or rest[0] in _SEPARATORS or (len(code) >= 6 and not rest[0].isascii()):
            name = rest.lstrip(_SEPARATORS).strip()
            return code, name or None
    match = _TRAILING_CODE.match(text)
    if match is not None and _is_code(match[2]) and match[1]:
        return match[2], match[1].strip()
    return None, text


def parse_reference(text: str) -> Reference:
    """A 项目 or 辅助核算 cell → code, name and any other dimensions it lists."""
    keys = list(_AUX_KEY.finditer(text))
    if not keys:
        code, name = split_code_name(text)
        return Reference(code, name)
    parts: dict[str, str] = {}
    for index, match in enumerate(keys):
        end = keys[index + 1].start() if index + 1 < len(keys) else len(text)
        value = text[match.end():end].strip(" \t;；,，|/")
        parts.setdefault(match["bracketed"] or match["plain"], value)
    project = parts.get("项目") or parts.get("预算项目")
    code, name = split_code_name(project) if project else (None, None)
    return Reference(code, name, parts.get("功能分类") or None, parts.get("经济分类") or None,
                     parts.get("资金性质") or None, parts.get("指标文号") or None)
