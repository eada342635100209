"""A tiny BERT built from nothing, for tests: no download, well under a second.

``build_tiny_bert(out_dir)`` trains a WordPiece vocabulary on a few hundred
generated sentences, wraps it as a fast BERT tokenizer and saves it next to a
randomly initialised 2-layer, 32-wide ``BertModel``.  The folder loads like any
other checkpoint: ``AutoModelForSequenceClassification.from_pretrained(out_dir,
num_labels=k)`` gives a classifier with a fresh head.
"""

from __future__ import annotations

import inspect
import random
import string
from pathlib import Path

from learner.models import quiet_transformers

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
TINY_CONFIG = dict(
    hidden_size=32,
    num_hidden_layers=2,
    num_attention_heads=2,
    intermediate_size=64,
    max_position_embeddings=256,
)
VOCAB_SIZE = 1000
_N_ENDINGS = 100

_TOPICS = {
    "sports": (
        ["the team", "our coach", "the striker", "a young player", "the referee", "the fans"],
        ["won", "lost", "played", "scored in", "watched", "cheered at"],
        ["the final match", "a football game", "the tennis open", "the league", "the race", "extra time"],
    ),
    "tech": (
        ["the laptop", "my phone", "the new chip", "this software", "the server", "an engineer"],
        ["crashed during", "booted after", "compiled", "updated", "shipped", "benchmarked"],
        ["the release", "a kernel patch", "the database", "the cloud cluster", "a graphics driver", "the network"],
    ),
    "food": (
        ["the chef", "my grandmother", "the bakery", "a street vendor", "the kitchen", "our waiter"],
        ["cooked", "baked", "served", "tasted", "burned", "seasoned"],
        ["fresh bread", "spicy noodles", "a chocolate cake", "the soup", "grilled fish", "sweet pancakes"],
    ),
    "weather": (
        ["the storm", "a cold wind", "heavy rain", "the sun", "thick fog", "the snow"],
        ["hit", "covered", "flooded", "warmed", "delayed", "froze"],
        ["the coast", "the mountain roads", "the city centre", "our garden", "the airport", "the valley"],
    ),
}
_QUESTIONS = [
    "what is {o} ?", "who {v} {o} ?", "where did {s} go ?", "when was {o} built ?",
    "how many people liked {o} ?", "why did {s} leave ?", "which city has {o} ?",
]
_EXTRAS = [
    "It was great, I loved it!", "Terrible service, never again.", "Not bad at all.",
    "Call 555-0100 now to win $1,000 (offer ends 31/12).", "Numbers: 0 1 2 3 4 5 6 7 8 9 10 100 2024.",
    "Email me at someone@example.com or visit https://example.org/page?id=7.",
    "Yes. No. Maybe? OK... fine; thanks: bye - see you & good luck #1 @home *now*",
]


def tiny_corpus(n: int = 400, seed: int = 0) -> list[tuple[str, str]]:
    """``n`` generated ``(sentence, topic)`` pairs over four topics (also handy as toy training data)."""
    rng = random.Random(seed)
    topics = sorted(_TOPICS)
    rows = []
    for i in range(n):
        topic = topics[i % len(topics)]
        subjects, verbs, objects = _TOPICS[topic]
        s, v, o = rng.choice(subjects), rng.choice(verbs), rng.choice(objects)
        if rng.random() < 0.25:
            text = rng.choice(_QUESTIONS).format(s=s, v=v, o=o)
        else:
            text = f"{s} {v} {o}."
        rows.append((text[0].upper() + text[1:], topic))
    return rows


def _train_vocab(sentences: list[str]) -> dict[str, int]:
    """A WordPiece vocabulary learned from ``sentences``, deterministically.

    The ``tokenizers`` WordPiece trainer breaks ties through a randomly seeded
    hash map, so its vocabulary differs from one process to the next; tests
    need the same tiny model every time.  So the text is normalised and split
    with the ``tokenizers`` BERT normaliser and pre-tokeniser, and the
    vocabulary is: special tokens, every single character (as a word start and
    as a ``##`` continuation), the most frequent word endings as ``##``
    pieces, then the most frequent whole words, ties broken alphabetically.
    Any text tokenises (unknown words fall back to characters).
    """
    from collections import Counter

    from tokenizers import normalizers, pre_tokenizers

    normalizer = normalizers.BertNormalizer(lowercase=True)
    splitter = pre_tokenizers.BertPreTokenizer()
    words: Counter[str] = Counter()
    for sentence in sentences:
        words.update(piece for piece, _ in splitter.pre_tokenize_str(normalizer.normalize_str(sentence)))
    alphabet = sorted(set(string.ascii_lowercase + string.digits + string.punctuation) | {c for w in words for c in w})
    endings: Counter[str] = Counter()
    for word, count in words.items():
        for size in (2, 3, 4):
            if len(word) > size:
                endings["##" + word[-size:]] += count
    tokens = list(SPECIAL_TOKENS) + alphabet + ["##" + c for c in alphabet]
    tokens += [t for t, _ in sorted(endings.items(), key=lambda kv: (-kv[1], kv[0]))[:_N_ENDINGS]]
    budget = VOCAB_SIZE - len(tokens)
    tokens += [w for w, _ in sorted(words.items(), key=lambda kv: (-kv[1], kv[0])) if w not in set(tokens)][:budget]
    return {token: i for i, token in enumerate(dict.fromkeys(tokens))}


def _make_tokenizer(vocab: dict[str, int], vocab_file: Path):
    from transformers import BertTokenizerFast

    ordered = sorted(vocab, key=vocab.__getitem__)
    vocab_file.write_text("\n".join(ordered) + "\n", encoding="utf-8")
    params = inspect.signature(BertTokenizerFast.__init__).parameters
    if "vocab" in params:  # transformers >= 5: the tokenizer is built from the vocab dict
        tokenizer = BertTokenizerFast(vocab=dict(vocab), do_lower_case=True)
    else:  # transformers 4.x: built from vocab.txt
        tokenizer = BertTokenizerFast(vocab_file=str(vocab_file), do_lower_case=True)
    tokenizer.model_max_length = TINY_CONFIG["max_position_embeddings"]
    return tokenizer


def build_tiny_bert(out_dir, seed=0):
    """Build and save a tiny BERT (tokenizer + ``BertModel``) in ``out_dir``; return ``out_dir`` as a Path.

    Same ``seed`` -> same weights.  Takes well under a second once torch and
    transformers are imported.
    """
    import torch
    from transformers import BertConfig, BertModel

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    sentences = [text for text, _ in tiny_corpus(400, seed=seed)] + _EXTRAS
    vocab = _train_vocab(sentences)
    tokenizer = _make_tokenizer(vocab, out / "vocab.txt")
    config = BertConfig(vocab_size=len(vocab), pad_token_id=vocab["[PAD]"], **TINY_CONFIG)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = BertModel(config)
    with quiet_transformers():
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)
    return out
