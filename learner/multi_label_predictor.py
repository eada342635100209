"""A multi-label classifier folder (``problem_type="multi_label_classification"``, as
:func:`learner.export.write_head_classifier` writes it with thresholds), loaded for prediction:
each label's sigmoid, and the set of labels whose probability reaches that label's threshold.

The probabilities are those ``transformers.pipeline(..., top_k=None)`` gives on the same folder (the
sigmoid of each logit); the thresholds are the folder's (``labelloop.json``, else the config's
``label_thresholds``, else 0.5 each).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from .batching import as_text_list, encode, inference_batches, scatter
from .devices import autocast_context, inference_batch_size, resolve_device, torch_threads
from .errors import ModelLoadError
from .models import classes_from_config, load_tokenizer, load_trained_classifier

META_FILE = "labelloop.json"
DEFAULT_THRESHOLD = 0.5


class MultiLabelPredictor:
    """``predict_proba`` (sigmoid per label, columns in ``classes_`` order), ``decide`` and ``predict_sets``."""

    def __init__(self, model, tokenizer, classes: list[str], thresholds: np.ndarray, *, max_length: int,
                 device: torch.device, batch_size: int = 32, precision: str = "auto", num_threads: int | None = None):
        self.model_, self.tokenizer_ = model, tokenizer
        self.classes_ = np.asarray(classes, dtype=str)
        self.thresholds_ = np.asarray(thresholds, dtype=np.float64)
        self.max_length, self.device_, self.batch_size = max_length, device, batch_size
        self.precision, self.num_threads = precision, num_threads

    @classmethod
    def load(cls, directory, device=None, **options) -> MultiLabelPredictor:
        source = Path(directory).expanduser()
        if not source.is_dir():
            raise ModelLoadError(f"model folder not found: {source}")
        meta_path = source / META_FILE
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
        model = load_trained_classifier(str(source.resolve()))
        if getattr(model.config, "problem_type", None) != "multi_label_classification":
            raise ModelLoadError(f"{source}: not a multi-label classifier (problem_type "
                                 f"{getattr(model.config, 'problem_type', None)!r})")
        classes = classes_from_config(model.config)
        by_label = getattr(model.config, "label_thresholds", None) or {}
        thresholds = meta.get("thresholds") or [by_label.get(name, DEFAULT_THRESHOLD) for name in classes]
        if len(thresholds) != len(classes):
            raise ModelLoadError(f"{source}: {len(thresholds)} thresholds for {len(classes)} labels")
        max_length = int((meta.get("params") or {}).get("max_length") or model.config.max_position_embeddings)
        device = resolve_device(device)
        return cls(model.to(device), load_tokenizer(str(source.resolve())), classes, np.asarray(thresholds, float),
                   max_length=max_length, device=device, **options)

    def predict_proba(self, texts) -> np.ndarray:
        """``(n, k)``: each label's own probability (rows need not sum to 1)."""
        texts = as_text_list(texts)
        if not texts:
            return np.zeros((0, len(self.classes_)))
        ids = encode(self.tokenizer_, texts, self.max_length)
        pad = self.tokenizer_.pad_token_id if self.tokenizer_.pad_token_id is not None else 0
        parts, positions = [], []
        with torch_threads(self.num_threads), torch.inference_mode(), autocast_context(self.device_, self.precision):
            for batch in inference_batches(ids, inference_batch_size(self.device_, self.batch_size), pad):
                logits = self.model_(**batch.tensors(self.device_)).logits.float()
                parts.append(torch.sigmoid(logits).cpu().numpy())
                positions.append(batch.positions)
        return scatter(parts, positions, len(texts)).astype(np.float64)

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """``(n, k)`` 0/1: label ``j`` when its probability reaches ``thresholds_[j]``."""
        return (np.asarray(proba, dtype=np.float64) >= self.thresholds_).astype(np.int8)

    def sets(self, proba: np.ndarray) -> list[list[str]]:
        """The predicted set of each row of ``proba``, in ``classes_`` order."""
        return [list(self.classes_[np.flatnonzero(row)]) for row in self.decide(proba)]

    def predict_sets(self, texts) -> list[list[str]]:
        return self.sets(self.predict_proba(texts))
