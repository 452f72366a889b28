"""Build the name lexicons the PII detector ships: given names and surnames of many origins.

    .venv/bin/python -m bench.pii_lexicons     # writes gateway/checks/pii/data/*.txt

Sources (and only these, so that the evaluation can draw its held-out names elsewhere):
- the US Census 1990 first names (public domain; as packaged by `names` 0.3.0, MIT), the list
  the detector shipped before;
- Faker's person providers (MIT) for every locale that writes names in Latin letters, plus the
  romanised Japanese and Chinese lists Faker carries, and its Korean (Hangul), Russian,
  Ukrainian and Bulgarian (Cyrillic) lists spelled in Latin letters by `bench/romanise.py`.

Deliberately NOT used: mimesis (the held-out corpus draws its names there), Faker's Greek,
Zulu, Indonesian, Thai and Azerbaijani lists (origins the detector never saw: see `EXCLUDED`),
and the hand-compiled lists in `bench/pii_corpus.py`. Tokens of multi-word entries are listed one by one.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import faker

from bench.romanise import cyrillic, hangul_given, hangul_surname, latin

DATA = Path(__file__).parent.parent / "gateway" / "checks" / "pii" / "data"
CENSUS = Path(__file__).parent / "corpus" / "census_first_names.txt"
# Locales held out of the lexicon: their names are origins the detector never saw. Greek is
# left for the held-out part; Zulu, Indonesian, Thai and Azerbaijani names stand for unseen
# origins in the development part, so that tuning also looks at names no list holds.
EXCLUDED = {"el_GR", "zu_ZA", "id_ID", "en_TH", "az_AZ"}
ROMANISED = {"ja_JP", "zh_CN", "zh_TW"}
HANGUL = {"ko_KR"}
CYRILLIC = {"ru_RU", "uk_UA", "bg_BG"}
_PARTICLES = {
    "van",
    "von",
    "der",
    "den",
    "de",
    "del",
    "della",
    "di",
    "da",
    "dos",
    "das",
    "du",
    "le",
    "la",
    "mac",
    "an",
}


def faker_locales() -> list[str]:
    root = Path(faker.__file__).parent / "providers" / "person"
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("_"))


def _values(provider: type, attribute: str) -> list[str]:
    value = getattr(provider, attribute, ())
    items = (
        list(value.keys())
        if isinstance(value, dict)
        else list(value)
        if isinstance(value, list | tuple)
        else []
    )
    return [item for item in items if isinstance(item, str)]


def _attributes(provider: type, kind: str) -> list[str]:
    """`first_names*` / `last_names*` (or the romanised ones), the lists a provider draws from."""
    romanised = kind.replace("_", "_romanized_", 1)
    return [
        name
        for name in dir(provider)
        if (name.startswith(f"{kind}s") or name.startswith(f"{romanised}s"))
        and not callable(getattr(provider, name))
    ]


def names_of(locale: str) -> tuple[set[str], set[str]]:
    provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    given: set[str] = set()
    surnames: set[str] = set()
    for kind, into in (("first_name", given), ("last_name", surnames)):
        for attribute in _attributes(provider, kind):
            if locale in ROMANISED and "romanized" not in attribute:
                continue
            for value in _values(provider, attribute):
                if locale in HANGUL:
                    value = hangul_given(value) if kind == "first_name" else hangul_surname(value)
                elif locale in CYRILLIC:
                    value = " ".join(cyrillic(part) for part in value.split())
                if value and latin(value):
                    into.update(value.title() if value.isupper() else value for value in _tokens(value))
    return given, surnames


def _tokens(value: str) -> list[str]:
    return [t for t in value.replace(",", " ").split() if len(t) > 1 and t.lower() not in _PARTICLES]


def build() -> tuple[list[str], list[str]]:
    given = {line.strip() for line in CENSUS.read_text().splitlines() if line and not line.startswith("#")}
    surnames: set[str] = set()
    for locale in faker_locales():
        if locale in EXCLUDED:
            continue
        more_given, more_surnames = names_of(locale)
        given |= more_given
        surnames |= more_surnames
    return sorted(given), sorted(surnames)


HEADER = """# {what}, one a line: built by bench/pii_lexicons.py (see its docstring) from
# the US Census 1990 first names (public domain; via `names` 0.3.0, MIT) and Faker {version}'s
# person providers (MIT licence, (c) joke2k and contributors), Korean/Cyrillic lists romanised.
# Not built from mimesis nor from Faker's Greek, Zulu, Indonesian, Thai, Azerbaijani lists.
"""


def everyday_words() -> list[str]:
    """Common English words (Faker's en_US lorem list): names that are also one of these
    ("will", "hope", "page") are not taken for names in text written in one case."""
    from faker.providers.lorem.en_US import Provider

    return sorted(set(Provider.word_list))


def main() -> None:
    everyday = DATA / "everyday_words.txt"
    everyday.write_text(
        f"# Everyday English words: Faker {faker.VERSION}'s en_US lorem word list (MIT licence).\n"
        + "\n".join(everyday_words())
        + "\n"
    )
    given, surnames = build()
    for file, words, what in (
        (DATA / "given_names.txt", given, "Given names"),
        (DATA / "surnames.txt", surnames, "Surnames"),
    ):
        file.write_text(HEADER.format(what=what, version=faker.VERSION) + "\n".join(words) + "\n")
        print(f"{len(words)} {what.lower()} -> {file}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
