"""Every string in both languages; every domain code named; every key the code uses defined."""

import re
import string
from pathlib import Path

import pytest

from gridtui import i18n, model

SRC = Path(i18n.__file__).parent


def _placeholders(text):
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_every_string_has_both_languages_with_the_same_placeholders():
    for key, (zh, en) in i18n.STRINGS.items():
        assert zh.strip() and en.strip(), key
        assert _placeholders(zh) == _placeholders(en), key


def test_every_domain_code_has_a_name():
    codes = [("role", r) for r in model.ROLES]
    codes += [(f"cat.{r}", c) for r, cats in model.CATEGORIES.items() for c in cats]
    codes += [("tag", t) for t in model.TAGS]
    for group, values in (("mode", model.MODES), ("outcome", model.OUTCOMES), ("triage", model.TRIAGE),
                          ("status", model.STATUSES), ("satisfaction", model.SATISFACTION),
                          ("wish", model.WISH_STATES), ("fact", model.PROPOSABLE_FACTS)):
        codes += [(group, v) for v in values]
    missing = [f"{g}.{c}" for g, c in codes if f"{g}.{c}" not in i18n.STRINGS]
    assert missing == []


def _used_keys():
    keys = set()
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        keys |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[\w.]+)["']""", text))
        keys |= set(re.findall(r"""ValidationError\(\s*["']([\w.]+)["']""", text))
        keys |= set(re.findall(r"""(?:Error|__init__)\(\s*["']([a-z_]+\.[\w.]+)["']""", text))
    return keys


def test_every_key_the_code_uses_is_defined():
    assert _used_keys(), "the scan found nothing: the pattern is broken"
    assert sorted(k for k in _used_keys() if k not in i18n.STRINGS) == []


@pytest.mark.parametrize("lang, word", [("zh", "安全员"), ("en", "Safety")])
def test_language_switch(lang, word):
    i18n.set_lang(lang)
    assert i18n.name("role", "safety") == word
