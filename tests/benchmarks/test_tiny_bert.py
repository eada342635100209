"""benchmarks.tiny_bert: the tiny BERT every fast test in the project builds."""

from __future__ import annotations

import numpy as np


def test_builds_fast_and_loads_as_a_classifier(tmp_path, tiny_model_dir):
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from benchmarks.tiny_bert import build_tiny_bert

    out = build_tiny_bert(tmp_path / "tiny")
    assert out == tmp_path / "tiny"
    assert {"config.json", "model.safetensors", "tokenizer.json", "vocab.txt"} <= {p.name for p in out.iterdir()}
    model = AutoModelForSequenceClassification.from_pretrained(out, num_labels=3)
    assert model.config.hidden_size == 32 and model.config.num_hidden_layers == 2
    tokenizer = AutoTokenizer.from_pretrained(out)
    assert tokenizer.is_fast
    assert "[UNK]" not in tokenizer.tokenize("Hello World! Totally new words, 42 € ok")[:-2]


def test_same_seed_same_folder(tmp_path):
    from safetensors.numpy import load_file

    from benchmarks.tiny_bert import build_tiny_bert

    a = build_tiny_bert(tmp_path / "a", seed=3)
    b = build_tiny_bert(tmp_path / "b", seed=3)
    c = build_tiny_bert(tmp_path / "c", seed=4)
    assert (a / "vocab.txt").read_text() == (b / "vocab.txt").read_text()
    wa, wb, wc = (load_file(p / "model.safetensors") for p in (a, b, c))
    assert all(np.array_equal(wa[k], wb[k]) for k in wa)
    assert not all(np.array_equal(wa[k], wc[k]) for k in wa)
