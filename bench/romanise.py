# ruff: noqa: RUF001  (transliteration tables: the look-alike letters are the point)
"""Latin spellings of names from Faker's and mimesis's Hangul, Cyrillic and Greek lists.

People write Korean, Russian, Ukrainian, Bulgarian, Kazakh and Greek names in English text in
Latin letters; the name lists ship them in their own scripts. The usual systems are followed
loosely (Revised Romanization for Hangul with the customary spellings of common surnames, BGN
style for Cyrillic and Greek): the aim is spellings people really write, not one standard.
"""

from __future__ import annotations

_INITIALS = [
    "g",
    "kk",
    "n",
    "d",
    "tt",
    "r",
    "m",
    "b",
    "pp",
    "s",
    "ss",
    "",
    "j",
    "jj",
    "ch",
    "k",
    "t",
    "p",
    "h",
]
_VOWELS = [
    "a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi",
    "yu", "eu", "ui", "i",
]  # fmt: skip
_FINALS = [
    "", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p", "t",
    "t", "ng", "t", "t", "k", "t", "p", "t",
]  # fmt: skip
# How the common Korean surnames are spelled in practice (passports, business cards).
KOREAN_SURNAMES = {
    "김": "Kim", "이": "Lee", "박": "Park", "최": "Choi", "정": "Jung", "강": "Kang", "조": "Cho",
    "윤": "Yoon", "장": "Jang", "임": "Lim", "한": "Han", "오": "Oh", "서": "Seo", "신": "Shin",
    "권": "Kwon", "황": "Hwang", "안": "Ahn", "송": "Song", "류": "Ryu", "유": "Yoo", "전": "Jeon",
    "홍": "Hong", "고": "Ko", "문": "Moon", "양": "Yang", "손": "Son", "배": "Bae", "백": "Baek",
    "허": "Heo", "남": "Nam", "심": "Shim", "노": "Noh", "하": "Ha", "곽": "Kwak", "성": "Sung",
    "차": "Cha", "주": "Joo", "우": "Woo", "구": "Koo", "민": "Min", "진": "Jin", "나": "Na",
    "지": "Ji", "엄": "Um", "채": "Chae", "원": "Won", "천": "Chun", "방": "Bang", "공": "Kong",
    "현": "Hyun", "함": "Ham", "변": "Byun", "염": "Yeom", "여": "Yeo", "추": "Choo", "도": "Do",
    "소": "So", "석": "Seok", "선": "Sun", "설": "Seol", "마": "Ma", "길": "Gil", "연": "Yeon",
    "위": "Wi", "표": "Pyo", "명": "Myung", "기": "Ki", "반": "Ban", "왕": "Wang", "금": "Keum",
    "옥": "Ok", "육": "Yook", "인": "In", "맹": "Maeng", "제": "Je", "모": "Mo", "탁": "Tak",
    "국": "Kook", "어": "Eo", "은": "Eun", "편": "Pyun", "용": "Yong", "예": "Ye", "경": "Kyung",
    "봉": "Bong", "사": "Sa", "부": "Boo", "가": "Ka", "복": "Bok", "태": "Tae", "목": "Mok",
    "형": "Hyung", "계": "Kye", "피": "Pi", "두": "Doo", "감": "Kam", "음": "Eum", "빈": "Bin",
    "동": "Dong", "온": "On", "호": "Ho", "범": "Beom", "좌": "Jwa", "팽": "Paeng", "승": "Seung",
    "간": "Kan", "상": "Sang", "갈": "Gal", "단": "Dan", "견": "Kyun", "당": "Dang",
}  # fmt: skip

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
    "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "і": "i", "ї": "yi", "є": "ye",
    "ґ": "g", "ә": "a", "ғ": "g", "қ": "k", "ң": "ng", "ө": "o", "ұ": "u", "ү": "u", "һ": "h",
    "'": "", "’": "",
}  # fmt: skip
_GREEK = {
    "α": "a", "ά": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "έ": "e", "ζ": "z", "η": "i",
    "ή": "i", "θ": "th", "ι": "i", "ί": "i", "ϊ": "i", "ΐ": "i", "κ": "k", "λ": "l", "μ": "m",
    "ν": "n", "ξ": "x", "ο": "o", "ό": "o", "π": "p", "ρ": "r", "σ": "s", "ς": "s", "τ": "t",
    "υ": "y", "ύ": "y", "ϋ": "y", "φ": "f", "χ": "ch", "ψ": "ps", "ω": "o", "ώ": "o",
}  # fmt: skip
_GREEK_PAIRS = {"ου": "ou", "ού": "ou", "αι": "ai", "ει": "ei", "οι": "oi", "μπ": "b", "ντ": "nt", "γκ": "gk"}


def _syllable(char: str) -> str:
    index = ord(char) - 0xAC00
    if not 0 <= index < 11172:
        return ""
    return _INITIALS[index // 588] + _VOWELS[(index % 588) // 28] + _FINALS[index % 28]


def hangul_given(name: str) -> str:
    """ "민준" -> "Min-jun" (syllables joined by a hyphen, as most Korean given names are written)."""
    syllables = [_syllable(char) for char in name if _syllable(char)]
    return "-".join(syllables).capitalize() if syllables else ""


def hangul_surname(name: str) -> str:
    if name in KOREAN_SURNAMES:
        return KOREAN_SURNAMES[name]
    return "".join(_syllable(char) for char in name).capitalize()


def cyrillic(name: str) -> str:
    return "".join(_CYRILLIC.get(char, char) for char in name.lower()).capitalize()


def greek(name: str) -> str:
    text, out, index = name.lower(), [], 0
    while index < len(text):
        pair = text[index : index + 2]
        if pair in _GREEK_PAIRS:
            out.append(_GREEK_PAIRS[pair])
            index += 2
            continue
        out.append(_GREEK.get(text[index], text[index]))
        index += 1
    return "".join(out).capitalize()


def latin(name: str) -> bool:
    """Whether a name is written in Latin letters (with diacritics), as English text has it."""
    return all(c.isascii() or "\u00c0" <= c <= "\u024f" or "\u1e00" <= c <= "\u1eff" for c in name)
