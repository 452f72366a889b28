"""The normalised view of a text that detection runs on, with a map back to the original.

People (careless or hostile) write PII in forms that patterns written for the plain form miss:
a zero-width space or a soft hyphen inside an SSN, en-dashes or full-width digits, an e-mail
written `jane[at]example[dot]com` or `jane at example dot com`. Detection runs on a view where
these are folded to the plain form, and each span found there is mapped back to the original
characters it came from, so that redaction replaces what the caller really wrote (the
zero-width space included) and nothing of the value is left behind.

The view, character class by character class:
- Unicode NFKC per base character and its combining marks (full-width forms, ligatures,
  compatibility spaces; "e" + combining acute becomes one "é");
- format characters (category Cf: zero-width space, joiners, soft hyphen, BOM, bidi
  controls) and variation selectors removed;
- every dash and minus sign folded to "-", and every decimal digit of any script to 0-9;
- "at" / "dot" spelled out or bracketed between the parts of an e-mail address folded to
  "@" and ".".

A text of plain ASCII without a spelled-out "at" is its own view (the common case costs one
scan of the text).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\ufe58\ufe63\uff0d\u02d7\u2796")
# "jane [at] example [dot] com", "jane(at)example(dot)com", "jane at example dot com",
# "jane.doe at example.com": the at-word between a local part and a domain of at least two
# labels, the dots spelled or not. Plain "at" needs a spelled "dot" or a dotted local part,
# so that "meet at example.com" stays a sentence.
_AT_WORD = r"(?:\s*[\[({<]\s*at\s*[\])}>]\s*|\s+at\s+)"
_DOT_WORD = r"(?:\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+dot\s+|\.)"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_SPELLED_EMAIL = re.compile(
    rf"(?<![\w.+-])(?P<local>[\w+-]+(?:(?:\.|{_DOT_WORD})[\w+-]+)*)(?P<at>{_AT_WORD})"
    rf"(?P<domain>{_LABEL}(?:{_DOT_WORD}{_LABEL})+)(?![\w-])",
    re.IGNORECASE,
)
_SPELLED_DOT = re.compile(_DOT_WORD, re.IGNORECASE)
_NEEDS_FOLDING = re.compile(r"[\[({<]\s*at\s*[\])}>]|\sat\s", re.IGNORECASE)
_TLD = re.compile(r"[A-Za-z]{2,}")
# With a plain " at " the last label must look like a top-level domain: "look at this dot
# product" is a sentence. Two letters (a country) or one of the common generic ones.
_GENERIC_TLD_WORDS = (
    "com net org edu gov mil int info biz name pro mobi app dev io ai cloud online site tech email "
    "mail me tv co xyz local internal test example"
)
_GENERIC_TLDS = frozenset(_GENERIC_TLD_WORDS.split())


@dataclass(frozen=True, slots=True)
class TextView:
    """`text` is what detection sees; `starts[i]` / `ends[i]` are the original offsets of the
    characters that became `text[i]` (empty lists when the view is the original)."""

    text: str
    original: str
    starts: tuple[int, ...] = ()
    ends: tuple[int, ...] = ()

    @property
    def identical(self) -> bool:
        return not self.starts

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The original characters behind `text[start:end]`, the removed ones inside it too."""
        if self.identical or start >= end:
            return start, end
        return self.starts[start], self.ends[end - 1]


def view_of(text: str) -> TextView:
    if text.isascii():
        plain = TextView(text, text)
        return _fold_spelled_emails(plain) if _NEEDS_FOLDING.search(text) else plain
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    index, length = 0, len(text)
    while index < length:
        stop = index + 1
        while stop < length and unicodedata.combining(text[stop]):
            stop += 1
        for char in _fold(text[index:stop]):
            chars.append(char)
            starts.append(index)
            ends.append(stop)
        index = stop
    view = TextView("".join(chars), text, tuple(starts), tuple(ends))
    return _fold_spelled_emails(view)


def _fold(cluster: str) -> str:
    if cluster.isascii():
        return cluster
    out = []
    for char in unicodedata.normalize("NFKC", cluster):
        category = unicodedata.category(char)
        if category == "Cf" or "\ufe00" <= char <= "\ufe0f":
            continue
        if char in _DASHES:
            out.append("-")
        elif category == "Nd":
            out.append(str(unicodedata.digit(char)))
        else:
            out.append(char)
    return "".join(out)


def _fold_spelled_emails(view: TextView) -> TextView:
    text = view.text
    pieces: list[tuple[int, int, str]] = []  # (start, end, replacement) in view offsets
    for match in _SPELLED_EMAIL.finditer(text):
        at_plain = not re.search(r"[\[({<]", match.group("at"))
        spelled_dot = re.search(r"\bdot\b", match.group(0), re.IGNORECASE)
        dotted_local = "." in match.group("local")
        tld = _SPELLED_DOT.split(match.group("domain"))[-1]
        if not _TLD.fullmatch(tld) or (at_plain and not (spelled_dot or dotted_local)):
            continue
        if at_plain and len(tld) > 2 and tld.lower() not in _GENERIC_TLDS:
            continue
        for part in ("local", "domain"):
            for dot in _SPELLED_DOT.finditer(match.group(part)):
                if dot.group() != ".":
                    pieces.append((match.start(part) + dot.start(), match.start(part) + dot.end(), "."))
        pieces.append((match.start("at"), match.end("at"), "@"))
    if not pieces:
        return view
    pieces.sort()
    starts = list(view.starts) or list(range(len(text)))
    ends = list(view.ends) or list(range(1, len(text) + 1))
    chars: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    position = 0
    for start, end, replacement in pieces:
        chars.append(text[position:start])
        new_starts += starts[position:start]
        new_ends += ends[position:start]
        chars.append(replacement)
        new_starts.append(starts[start])
        new_ends.append(ends[end - 1])
        position = end
    chars.append(text[position:])
    new_starts += starts[position:]
    new_ends += ends[position:]
    return TextView("".join(chars), view.original, tuple(new_starts), tuple(new_ends))
