"""The message catalogues: same keys and placeholders in every language, every key the code uses exists."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest

from insole.report import findings as F
from insole.report.i18n import LANGUAGES, Catalog, Msg, Num, Shares, Term, placeholders
from insole.store.schema import TASKS

REPORT_SRC = Path(F.__file__).parent


def _catalogue(lang: str) -> dict[str, str]:
    text = resources.files("insole.report").joinpath("messages", f"{lang}.json").read_text(encoding="utf-8")
    return {k: v for k, v in json.loads(text).items() if not k.startswith("_")}


@pytest.fixture(scope="module")
def catalogues():
    return {lang: _catalogue(lang) for lang in LANGUAGES}


def test_every_language_has_every_message(catalogues):
    reference = catalogues[LANGUAGES[0]]
    for lang, messages in catalogues.items():
        missing, extra = set(reference) - set(messages), set(messages) - set(reference)
        assert not missing, f"{lang} lacks translations of {sorted(missing)}"
        assert not extra, f"{lang} has messages English lacks: {sorted(extra)}"


def test_placeholders_match_and_messages_are_filled_in(catalogues):
    reference = catalogues[LANGUAGES[0]]
    for lang, messages in catalogues.items():
        for key, text in messages.items():
            assert text.strip(), f"{lang}:{key} is empty"
            assert placeholders(text) == placeholders(reference[key]), f"{lang}:{key} placeholders differ from English"


def test_messages_are_plain_text(catalogues):
    for lang, messages in catalogues.items():
        for key, text in messages.items():
            assert not re.search(r"<[a-zA-Z/!]", text), f"{lang}:{key} contains markup; the renderer escapes all text"


def _literal_keys() -> set[str]:
    """Message keys written as literals in the report code."""
    prefixes = {k.split(".")[0] for k in _catalogue("en")}
    keys = set()
    for path in REPORT_SRC.glob("*.py"):
        for m in re.finditer(r"""["']([a-z_]+(?:\.[A-Za-z_\-]+)+)["']""", path.read_text()):
            if m.group(1).split(".")[0] in prefixes and not m.group(1).endswith((".py", ".json", ".html", ".css")):
                keys.add(m.group(1))
    return keys


def _dynamic_keys() -> set[str]:
    """Keys the code builds from registries (exercises, rules, feet, categories)."""
    keys = {f"exercise.{ex}.{part}" for ex in F.EXERCISES for part in ("title", "how", "dose")}
    keys |= {f"rule.{r}.{part}" for r in F.RULES for part in ("rationale", "evidence", "caveat")}
    keys |= {f"evidence.{r.evidence}" for r in F.RULES.values()} | {"evidence.H", "evidence.E1", "evidence.E2", "evidence.E3"}
    keys |= {f"{family}.{foot}" for family in ("foot", "foot_adj", "foot_name") for foot in F.FEET}
    keys |= {f"red_flag.{flag}" for flag in F.RED_FLAGS} | {f"task.{t}" for t in TASKS}
    keys |= {f"strike.{p}" for p in ("RFS", "MFS", "FFS")} | {f"route.{r}" for r in ("first-ray", "central", "lateral")}
    keys |= {f"topic.{t}" for t in ("safety", "quality", "strike", "temporal", "symmetry", "ml", "cpei", "hallux", "loading_rate",
                                    "static", "heel_raise", "balance")}
    keys |= {f"report.title.{a}" for a in ("clinician", "runner")}
    keys |= {f"cues.{c}.intro" for c in ("placement", "contact", "balance", "quieter")}
    keys |= {f"section.{t}" for t in ("heel_raise", "balance")} | {f"table.{t}.title" for t in ("heel_raise", "balance")}
    keys |= {f"finding.{t}_missing" for t in ("heel_raise", "balance")}
    keys |= {f"glossary.{k}" for k in ("rfs", "lmfi", "cpei", "route", "sa", "valr", "evidence")}
    from insole.analysis._params import RUN_PHASES, WALK_PHASES

    keys |= {f"phase.{name}" for name, _, _ in (*WALK_PHASES, *RUN_PHASES)}
    return keys


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_key_the_code_uses_exists(lang):
    messages = _catalogue(lang)
    missing = sorted((_literal_keys() | _dynamic_keys()) - set(messages))
    assert not missing, f"messages missing from {lang}.json: {missing}"


def test_missing_key_is_an_error():
    with pytest.raises(KeyError):
        Catalog("en").text("no.such.message")


def test_values_are_formatted_per_language():
    en, nl = Catalog("en"), Catalog("nl")
    assert en.number(Num(12.345, 1)) == "12.3" and nl.number(Num(12.345, 1)) == "12,3"
    assert nl.number(Num(-0.04, 1)) == "0,0" and en.number(Num(-2.5, 1)) == "−2.5"
    assert en.number(Num(3.0, 0, signed=True)) == "+3" and en.number(None) == "–"
    shares = Shares(((Term("strike.RFS"), 87.5), (Term("strike.MFS"), 12.5)))
    assert en.value(shares) == "rearfoot 88 %, midfoot 12 %"
    assert nl.value(shares) == "hiel 88 %; middenvoet 12 %"
    assert nl.render(Msg("finding.toe_off_lateral", {"foot": Term("foot_name.left"), "share": Num(75.0, 0), "n": 12})).startswith("Linkervoet:")
