"""Static sentence embeddings: a text's vector is the weighted mean of its tokens' vectors.

The tokens are all-MiniLM-L6-v2's (BERT uncased WordPiece), cut here the way its tokenizer
cuts them: lower case, accents stripped, punctuation split off, then longest-match word pieces.
The vectors and weights come from `training/topics.py` (committed in `model/`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import numpy as np

MODEL_DIR = Path(__file__).parent / "model"
VECTORS_FILE = "minilm-static.npz"
VOCAB_FILE = "vocab.txt"
META_FILE = "minilm-static.json"
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
# As BERT cuts: a CJK ideograph is a word of its own; other words end at white space or at
# punctuation, which is a token of its own (the underscore included).
_WORDS = re.compile(f"[{_CJK}]|(?:(?![{_CJK}])[^\\W_])+|[^\\w\\s]|_")
_MAX_WORD = 100  # BERT's own limit: a longer "word" is one unknown token


class Embeddings:
    def __init__(self, directory: Path = MODEL_DIR) -> None:
        with np.load(directory / VECTORS_FILE) as data:
            self._vectors = data["vectors"].astype(np.float32) * data["scales"][:, None]
            self._weights = data["weights"].astype(np.float32)
        vocab = (directory / VOCAB_FILE).read_text(encoding="utf-8").split("\n")[: len(self._vectors)]
        self._index = {token: i for i, token in enumerate(vocab)}
        self._unknown = self._index["[UNK]"]
        self.version = json.loads((directory / META_FILE).read_text(encoding="utf-8"))["version"]

    def tokens(self, text: str) -> list[int]:
        text = unicodedata.normalize("NFD", text.lower())
        text = "".join(char for char in text if unicodedata.category(char) != "Mn")
        ids: list[int] = []
        for word in _WORDS.findall(text):
            ids += self._pieces(word)
        return ids

    def _pieces(self, word: str) -> list[int]:
        if len(word) > _MAX_WORD:
            return [self._unknown]
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
                return [self._unknown]  # as BERT: a word it cannot cut is one unknown token
            start = end
        return pieces

    def embed(self, texts: list[str]) -> np.ndarray:
        """One unit vector per text (a zero vector for a text without tokens)."""
        out = np.zeros((len(texts), self._vectors.shape[1]), dtype=np.float32)
        for row, text in enumerate(texts):
            ids = self.tokens(text)
            if ids:
                vector = self._weights[ids] @ self._vectors[ids]
                out[row] = vector / (np.linalg.norm(vector) + 1e-9)
        return out
