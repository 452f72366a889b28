"""A tiny GPT-NeoX checkpoint built in the test: a byte-level BPE tokenizer trained on a few lines
with `tokenizers`, random weights, both saved with `save_pretrained` as a user's checkpoint is.

Its answers are gibberish; what tests check is loading, streaming, limits, usage and errors.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tests.services import require

LINES = [
    "The capital of France is Paris.",
    "Personal data stays where the policy says it may go.",
    "A gateway keeps an audit record of every request it serves.",
    "Tokens stream to the caller one at a time, as the model writes them.",
    "user: What is the capital of France?",
    "assistant: Paris is the capital of France.",
]
EOS = "<|endoftext|>"


def need_transformers() -> None:
    """Skip without the extra on a developer's machine; fail under CI (.ci/run installs it)."""
    require(
        importlib.util.find_spec("transformers") is not None,
        "the transformers extra (make setup-transformers)",
    )


def build_checkpoint(
    directory: Path,
    *,
    hidden_size: int = 32,
    layers: int = 2,
    heads: int = 2,
    context: int = 256,
    vocab_size: int = 400,
    chat_template: str | None = None,
    eos: bool = True,
) -> Path:
    """`eos=False`: the model has no end-of-sequence token, so it always writes `max_new_tokens`."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPTNeoXConfig, GPTNeoXForCausalLM, PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=[EOS], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    bpe.train_from_iterator(LINES, trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token=EOS, pad_token=EOS)
    if chat_template is not None:
        tokenizer.chat_template = chat_template
    tokenizer.save_pretrained(directory)
    config = GPTNeoXConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=hidden_size * 4,
        max_position_embeddings=context,
        eos_token_id=tokenizer.eos_token_id if eos else None,
        bos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(0)
    GPTNeoXForCausalLM(config).save_pretrained(directory)
    return directory
