"""The ledger's words as people type them: a role, a category, a tag or a status by its code
(``safety``), its number in the list (``7``), or its name in either language (``安全员``,
``Safety``). Whatever is unknown is refused with the list of what is known, numbered and named in
the user's language. Pure; docs/vocabulary.md lists every word.
"""

from __future__ import annotations

import re

from . import i18n, model
from .model import ValidationError

_SEPARATORS = re.compile(r"[、,;，；\s]+")


def _find(text: str, codes: tuple[str, ...], group: str) -> str | None:
    typed = text.strip()
    low = typed.lower()
    if typed.isdigit() and 1 <= int(typed) <= len(codes):
        return codes[int(typed) - 1]
    for code in codes:
        zh, en = i18n.STRINGS.get(f"{group}.{code}", (code, code))
        if low in (code, en.lower()) or typed == zh:
            return code
    return None


def choices(codes: tuple[str, ...], group: str) -> str:
    """``1 数据员（data）、2 信息员（info）…`` in the current language."""
    return i18n.t("vocab.sep").join(i18n.t("vocab.choice", n=n, name=i18n.name(group, code), code=code)
                                    for n, code in enumerate(codes, 1))


def _one(text: str, codes: tuple[str, ...], group: str, what: str) -> str:
    code = _find(text, codes, group)
    if code is None:
        raise ValidationError("vocab.unknown", value=text.strip(), what=i18n.t(f"vocab.what.{what}"),
                              valid=choices(codes, group))
    return code


def role(text: str) -> str:
    return _one(text, model.ROLES, "role", "role")


def category(role_code: str, text: str) -> str:
    """A category of ``role_code``'s list; empty text is ``other``."""
    return _one(text, model.CATEGORIES[role_code], f"cat.{role_code}", "category") if text.strip() else "other"


def tag(text: str) -> str:
    return _one(text, tuple(model.TAGS), "tag", "tag")


def tags(text: str) -> list[str]:
    """Tags written in one cell or option: separated by 、 , ; or spaces."""
    return [tag(word) for word in _SEPARATORS.split(text or "") if word]


def status(text: str) -> str:
    return _one(text, model.STATUSES, "status", "status")


def triage(text: str) -> str:
    return _one(text, model.TRIAGE, "triage", "triage")


def satisfaction(text: str) -> str:
    return _one(text, model.SATISFACTION, "satisfaction", "satisfaction")


def markdown() -> str:
    """docs/vocabulary.md: every word, with its number, code and names (a test keeps it current)."""
    def rows(codes: tuple[str, ...], group: str) -> list[str]:
        out = ["| 编号 No. | 代码 code | 中文 | English |", "| --- | --- | --- | --- |"]
        for n, code in enumerate(codes, 1):
            zh, en = i18n.STRINGS.get(f"{group}.{code}", (code, code))
            out.append(f"| {n} | `{code}` | {zh} | {en} |")
        return out

    lines = ["# 词汇表 Vocabulary", "",
             "角色、类别、标签、状态、走访结果和方式，在命令行、花名册和报表选项里都可以写编号、代码或中文名称（不分大小写的英文名也可以）。",
             "例如 `--finding '安全员/飞线充电:楼道里飞线充电'` 与 `--finding 'safety/ebike_charging:…'`、"
             "`--finding '7/1:…'` 相同。",
             "",
             "Roles, categories, tags, statuses, outcomes and modes are accepted by number, code or Chinese name (or English name, any "
             "case) on the command line, in rosters and in report options. This page is generated from "
             "`gridtui/i18n.py` by `gridtui.vocab.markdown()`; a test keeps it current.", "",
             "## 七员 The seven duty roles", ""]
    lines += rows(model.ROLES, "role")
    lines += ["", "## 类别 Categories, per role", "",
              "`--finding 角色/类别:内容`：类别的编号按各角色自己的列表。 A category's number counts in its role's list.", ""]
    for role_code in model.ROLES:
        zh, en = i18n.STRINGS[f"role.{role_code}"]
        lines += [f"### {zh} {en} (`{role_code}`)", ""] + rows(model.CATEGORIES[role_code], f"cat.{role_code}") + [""]
    lines += ["## 标签 Household tags", "",
              "关爱对象的走访间隔（天） Visit interval of care households, days: " +
              "、".join(f"{i18n.STRINGS[f'tag.{c}'][0]} {tg.interval_days}" for c, tg in model.TAGS.items()
                       if tg.interval_days) + "。", ""]
    lines += rows(tuple(model.TAGS), "tag")
    lines += ["", "## 状态 Finding statuses", ""] + rows(model.STATUSES, "status")
    lines += ["", "## 走访结果 Visit outcomes", ""] + rows(model.OUTCOMES, "outcome")
    lines += ["", "## 走访方式 Visit modes", ""] + rows(model.MODES, "mode")
    lines += ["", "## 处理方式 Triage", ""] + rows(model.TRIAGE, "triage")
    lines += ["", "## 回访满意度 Satisfaction at the return visit", ""] + rows(model.SATISFACTION, "satisfaction")
    return "\n".join(lines) + "\n"


def outcome(text: str) -> str:
    return _one(text, model.OUTCOMES, "outcome", "outcome")


def mode(text: str) -> str:
    return _one(text, model.MODES, "mode", "mode")
