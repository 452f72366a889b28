"""Static embeddings: one unit vector and one weight per entry, and a text's entries.

An entry is a whole word or, for a word without one, one of all-MiniLM-L6-v2's tokens (BERT
uncased WordPiece), cut here the way its tokenizer cuts them: lower case, accents stripped,
punctuation split off, then longest-match word pieces. Whole words exist for frequent words
that WordPiece cuts into pieces ("fentanyl" -> "fen", "##tan", "##yl"): the mean of such pieces
means nothing, the word's own vector does. The vectors and weights come from
`training/topics.py` (committed in `model/`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import numpy as np

MODEL_DIR = Path(__file__).parent / "model"
VECTORS_FILE = "minilm-static.npz"
VOCAB_FILE = "vocab.txt"
WORDS_FILE = "words.txt"
META_FILE = "minilm-static.json"
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
# As BERT cuts: a CJK ideograph is a word of its own; other words end at white space or at
# punctuation, which is a token of its own (the underscore included).
_WORDS = re.compile(f"[{_CJK}]|(?:(?![{_CJK}])[^\\W_])+|[^\\w\\s]|_")
_MAX_WORD = 100  # BERT's own limit: a longer "word" is one unknown token


def words_of(text: str) -> list[str]:
    """`text` normalised as BERT uncased normalises it, cut into words and punctuation."""
    text = unicodedata.normalize("NFD", text.lower())
    return _WORDS.findall("".join(char for char in text if unicodedata.category(char) != "Mn"))


class Cutter:
    """Text to entry ids: a word with a whole-word entry is that entry, any other word is cut
    into BERT's word pieces. Entry ids: the tokens first (BERT's ids), then the whole words.
    Shared by the check and the script that builds its vectors, so both cut alike."""

    def __init__(self, tokens: Sequence[str], words: Sequence[str] = ()) -> None:
        self._index = {token: i for i, token in enumerate(tokens)}
        self._words = {word: len(tokens) + i for i, word in enumerate(words)}
        self.unknown = self._index["[UNK]"]

    def ids(self, text: str) -> list[int]:
        ids: list[int] = []
        for word in words_of(text):
            ids += self.word_ids(word)
        return ids

    def word_ids(self, word: str) -> list[int]:
        whole = self._words.get(word)
        return [whole] if whole is not None else self.pieces(word)

    def pieces(self, word: str) -> list[int]:
        """BERT's longest-match-first WordPiece cut of one normalised word."""
        if len(word) > _MAX_WORD:
            return [self.unknown]
        pieces: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self._index:
                    pieces.append(self._index[piece])
                    break
                end -= 1
            else:
                return [self.unknown]  # as BERT: a word it cannot cut is one unknown token
            start = end
        return pieces


def read_lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").split("\n") if line]


class Embeddings:
    def __init__(self, directory: Path = MODEL_DIR) -> None:
        with np.load(directory / VECTORS_FILE) as data:
            vectors = data["vectors"].astype(np.float32) * data["scales"][:, None]
            self.weights = data["weights"].astype(np.float32)
        # unit rows again after int8 rounding, so a product of two rows is their cosine
        self.vectors = vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12)
        tokens, words = read_lines(directory / VOCAB_FILE), read_lines(directory / WORDS_FILE)
        if len(tokens) + len(words) != len(self.vectors):
            raise ValueError(f"{directory}: {len(self.vectors)} vectors, {len(tokens) + len(words)} entries")
        self.cutter = Cutter(tokens, words)
        self.version = json.loads((directory / META_FILE).read_text(encoding="utf-8"))["version"]

    def tokens(self, text: str) -> list[int]:
        return self.cutter.ids(text)
