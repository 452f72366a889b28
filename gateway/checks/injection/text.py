"""What the classifier reads: one normal form of a text, and the pieces of a long one.

Attackers hide instructions from filters rather than from the model: zero-width and bidi
characters inside words, Cyrillic or Greek look-alike letters, full-width forms, Unicode "tag"
characters that render as nothing but spell ASCII, base64 blobs the model is asked to decode.
`normal_form` undoes the first four; `pieces` adds the decoded blobs as extra pieces. A long
document (a pasted email, a tool result) is cut into overlapping windows, so that one injected
sentence is not diluted by pages of benign text around it.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata

# A window holds a paragraph or two. Shorter windows find a planted sentence more easily but
# raise false positives on long benign prompts: on the validation splits, 400 cost neuralchemy
# 6 points of recall at 1 % false positives, 800 cost 1.3.
WINDOW_CHARS = 800
_STEP_CHARS = WINDOW_CHARS // 2

# U+E0020..U+E007E mirror printable ASCII and render invisibly ("ASCII smuggling").
_TAGS = re.compile("[\U000e0020-\U000e007e]+")
# Format characters that render as nothing: zero-width, joiners, bidi controls, soft hyphen, BOM.
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\U000e0000-\U000e007f]")
# Lower-case Cyrillic and Greek letters that look like Latin ones (after NFKC and lower()).
_LOOKALIKES = str.maketrans(
    "\u0430\u0432\u0435\u0451\u043a\u043c\u043d\u043e\u0440\u0441\u0442\u0443\u0445\u0456\u0457"
    "\u0458\u0455\u0501\u0261\u03b1\u03b2\u03b5\u03b9\u03ba\u03bd\u03bf\u03c1\u03c4\u03c5\u03c7\u03c9",
    "abeekmhopctyxiijsdgabeikvoptuxw",
)
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{24,}={0,2}")


def _untag(match: re.Match[str]) -> str:
    return " " + "".join(chr(ord(c) - 0xE0000) for c in match.group()) + " "


def normal_form(text: str) -> str:
    """The text as the classifier was trained on it: tags spelled out, invisible characters
    dropped, compatibility forms folded (NFKC), lower case, look-alike letters made Latin."""
    text = _TAGS.sub(_untag, text)
    text = _INVISIBLE.sub("", text)
    return unicodedata.normalize("NFKC", text).lower().translate(_LOOKALIKES)


def _decoded_blobs(text: str) -> list[str]:
    decoded = []
    for match in _BASE64.finditer(text):
        blob = match.group()
        try:
            plain = base64.b64decode(blob + "=" * (-len(blob) % 4), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            continue
        if plain.isprintable() or all(c.isprintable() or c.isspace() for c in plain):
            decoded.append(plain)
    return decoded


def _windows(text: str) -> list[str]:
    if len(text) <= WINDOW_CHARS:
        return [text]
    windows = []
    start = 0
    while start < len(text):
        end = min(start + WINDOW_CHARS, len(text))
        if end < len(text):  # end on a space, so no word is cut in two
            space = text.rfind(" ", start + _STEP_CHARS, end)
            end = space if space > 0 else end
        windows.append(text[start:end])
        if end >= len(text):
            break
        space = text.find(" ", start + _STEP_CHARS, end)
        start = space + 1 if space > 0 else start + _STEP_CHARS
    return windows


def pieces(text: str) -> list[str]:
    """The normal forms the classifier scores for one text: its windows, then each base64 blob
    it carries, decoded. The text's score is the highest of its pieces'."""
    normal = normal_form(text)
    found = _windows(normal)
    for plain in _decoded_blobs(text):
        found.extend(_windows(normal_form(plain)))
    return found
