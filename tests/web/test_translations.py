"""The interface's words (static/js/i18n/<language>/<area>.js) agree across languages, without a browser.

Each file is plain data: comment lines, then `export default` one JSON object and a semicolon (the
format is checked too, so a file the browser would read differently fails here). For every area, every
language has the same keys, each string's {placeholders} are the same in every language (t() fills
them from its vars: one missing in a translation would drop a value, an extra one would show "{name}"),
and no key is in two areas (the later one would silently win when i18n/catalog.js merges them).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

I18N = Path(__file__).resolve().parent.parent.parent / "static" / "js" / "i18n"
LANGUAGES = ("en", "zh-Hant")
AREAS = ("core", "panels", "trace", "code")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
DATA = re.compile(r"\A(?:(?://[^\n]*)?\n)*export default (\{.*\});\n\Z", re.DOTALL)


def load(path: Path) -> dict[str, str]:
    """One language file's strings, read as the JSON its `export default` object must be."""
    text = path.read_text(encoding="utf-8")
    match = DATA.match(text)
    assert match, f"{path}: not comment lines then `export default {{...}};` (see the file's header)"
    try:
        pairs: list[tuple[str, object]] = json.loads(match[1], object_pairs_hook=list)
    except json.JSONDecodeError as exc:
        line = text.count("\n", 0, match.start(1)) + exc.lineno
        problem = f"{path}:{line}: not plain JSON data ({exc.msg}): no comments inside, no trailing comma"
        raise AssertionError(problem) from None
    keys = [key for key, _ in pairs]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    assert not twice, f"{path}: a key twice: {twice}"
    bad = [key for key, value in pairs if not isinstance(value, str)]
    assert not bad, f"{path}: values that are not strings: {bad}"
    return {key: str(value) for key, value in pairs}


def catalog() -> dict[str, dict[str, dict[str, str]]]:
    """area -> language -> key -> string"""
    return {area: {lang: load(I18N / lang / f"{area}.js") for lang in LANGUAGES} for area in AREAS}


def test_every_language_file_is_there_and_loaded() -> None:
    found = {p.relative_to(I18N).as_posix() for p in I18N.glob("*/*.js")}
    expected = {f"{lang}/{area}.js" for lang in LANGUAGES for area in AREAS}
    assert found == expected, "a language or area this test (and i18n/catalog.js) does not know"
    loader = (I18N / "catalog.js").read_text(encoding="utf-8")
    for name in sorted(expected):
        assert f'"./{name}"' in loader, f"i18n/catalog.js does not import {name}"


@pytest.mark.parametrize("area", AREAS)
def test_every_key_is_in_every_language(area: str) -> None:
    tables = catalog()[area]
    en = tables["en"]
    assert en, f"{area}: no English strings"
    for lang in LANGUAGES[1:]:
        other = tables[lang]
        missing = sorted(set(en) - set(other))
        extra = sorted(set(other) - set(en))
        assert not missing, f"{lang}/{area}.js lacks keys that en/{area}.js has: {missing}"
        assert not extra, f"{lang}/{area}.js has keys that en/{area}.js lacks: {extra}"


@pytest.mark.parametrize("area", AREAS)
def test_placeholders_are_the_same_in_every_language(area: str) -> None:
    tables = catalog()[area]
    wrong = []
    for key, text in tables["en"].items():
        names = set(PLACEHOLDER.findall(text))
        for lang in LANGUAGES[1:]:
            theirs = set(PLACEHOLDER.findall(tables[lang].get(key, "")))
            if key in tables[lang] and theirs != names:
                wrong.append(f"{key}: en {sorted(names)}, {lang} {sorted(theirs)}")
    assert not wrong, f"{area}: placeholders differ between languages:\n" + "\n".join(wrong)


def test_no_key_is_in_two_areas() -> None:
    seen: dict[str, str] = {}
    twice = []
    for area, tables in catalog().items():
        for key in tables["en"]:
            if key in seen:
                twice.append(f"{key}: {seen[key]} and {area}")
            seen[key] = area
    assert not twice, "keys in two areas (the later would win when merged):\n" + "\n".join(twice)
