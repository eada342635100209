"""``TransformerClassifier``: a BERT-style text classifier with the scikit-learn API.

skorch conventions: ``__init__`` stores its arguments and nothing else,
learned state ends in ``_``, ``fit`` returns ``self``, unfitted use raises
``NotFittedError``, ``fit`` retrains from the base encoder with a fresh head
and ``partial_fit`` continues from the current weights (warm start).

Two objectives (``objective``):

* ``"mean_head"`` (default): the fast tier's head on mean-pooled features
  (:mod:`learner.mean_head`), started from an :class:`~learner.head.EmbeddingHead`
  fitted on the starting encoder's embeddings of the training texts; it is what
  ``predict_proba`` uses afterwards, and ``save`` writes it beside the model as
  ``mean_head.npz``. The ``BertForSequenceClassification`` folder's own first-token
  classifier is then left untrained.
* ``"classifier"``: the first-token classifier, a fresh linear layer.

Label sets (multi-label)
------------------------
``fit(texts, Y)`` with ``Y`` a list of label sets (lists, tuples or sets of names; an empty one is a
text with no label) or an ``(n, k)`` 0/1 matrix over ``classes`` trains a multi-label classifier: one
logit per label, each with its own sigmoid, trained with the binary cross-entropy. With the
``mean_head`` objective the logits are per-label logistic units on the same mean-pooled features,
started from a :class:`~learner.multi_label_head.MultiLabelHead` (one-vs-rest) fitted on the starting
encoder's embeddings. ``predict_proba`` then gives each label's own probability (rows do not sum to
1), ``predict`` an ``(n, k)`` 0/1 matrix at probability 0.5 (a product chooses each label's threshold
itself: :class:`~learner.multi_label_head.MultiLabelHead` on the fine-tuned embeddings), and ``save``
writes ``problem_type="multi_label_classification"`` into the config; ``multi_label_`` says which kind
a fitted classifier is.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from .batching import as_text_list, encode, inference_batches, scatter
from .devices import autocast_context, inference_batch_size, resolve_device, torch_threads
from .errors import InputError, ModelLoadError, UnknownLabelError
from .folders import atomic_folder
from .head import EmbeddingHead
from .mean_head import MeanHeadModel, mean_pool
from .models import (
    classes_from_config,
    load_encoder,
    load_fresh_classifier,
    load_tokenizer,
    load_trained_classifier,
    portable_model_name,
    quiet_transformers,
    resolve_model,
)
from .multi_label_head import MultiLabelHead, indicator_matrix
from .training import train

META_FILE = "labelloop.json"
MEAN_HEAD_FILE = "mean_head.npz"
OBJECTIVES = ("mean_head", "classifier")
MULTI_LABEL_PROBLEM = "multi_label_classification"
# predict of a multi-label classifier: a label is given when its probability reaches this
DEFAULT_THRESHOLD = 0.5
# Hyper-parameters written next to a saved model and restored by ``load``.
_SAVED_PARAMS = (
    "max_length", "batch_size", "train_batch_size", "epochs", "learning_rate",
    "weight_decay", "warmup_ratio", "seed", "precision", "num_threads",
    "objective", "min_steps", "head_C",
)

__all__ = ["OBJECTIVES", "TransformerClassifier", "mean_pool"]


def _is_label_sets(labels) -> bool:
    """True when ``labels`` holds label sets (a 2-D matrix, or items that are collections of names)."""
    if isinstance(labels, np.ndarray):
        return labels.ndim == 2
    if labels is None or isinstance(labels, (str, bytes)):
        return False
    first = next(iter(labels), None)
    return isinstance(first, (list, tuple, set, frozenset, np.ndarray))


def _as_labels(labels) -> list[str]:
    if labels is None or isinstance(labels, (str, bytes)):
        raise InputError("labels must be a sequence of label names")
    out = []
    for i, label in enumerate(labels):
        if label is None:
            raise InputError(f"labels[{i}] is None")
        out.append(str(label))
    return out


class TransformerClassifier(ClassifierMixin, BaseEstimator):
    """Fine-tunable transformer classifier over raw texts.

    Parameters
    ----------
    model : None, "default", a local folder or a hub name
        Encoder to start from; ``None`` is all-MiniLM-L6-v2 (offline).
    classes : list of str, optional
        Ordered label set.  When given, the head has exactly these outputs in
        this order, even for labels with no examples yet.  Otherwise the
        sorted unique labels seen by ``fit``.
    max_length : int
        Tokens per text; longer texts are truncated.
    batch_size : int
        Inference batch size (multiplied by ``devices.CUDA_BATCH_MULTIPLIER`` on CUDA).
    train_batch_size, epochs, learning_rate, weight_decay, warmup_ratio
        Fine-tuning settings (AdamW, linear warmup then decay).
    device : None, "auto" or a torch device string
        ``None`` picks CUDA when available.
    seed : int or None
        Seeds the head initialisation, dropout and batch order: same seed and
        data give identical probabilities on CPU.
    precision : "auto", "fp32" or "bf16"
        ``"auto"`` is bf16 autocast on CUDA and fp32 elsewhere.
    num_threads : int or None
        torch CPU threads while this classifier trains or scores (restored
        afterwards); ``None`` leaves torch's default.  On a CPU shared with
        other busy processes, 1 can be several times faster than the default.
    objective : "mean_head" or "classifier"
        What training optimises (see the module docstring).
    min_steps : int
        Optimiser steps per training call at least; on few texts this adds
        epochs (``learner.training.train``).
    head_C : float
        Regularisation of the head that starts the ``mean_head`` objective.
    """

    def __init__(
        self,
        model=None,
        classes=None,
        max_length=128,
        batch_size=32,
        train_batch_size=16,
        epochs=3,
        learning_rate=5e-5,
        weight_decay=0.01,
        warmup_ratio=0.1,
        device=None,
        seed=0,
        precision="auto",
        num_threads=None,
        objective="mean_head",
        min_steps=0,
        head_C=10.0,
    ):
        self.model = model
        self.classes = classes
        self.max_length = max_length
        self.batch_size = batch_size
        self.train_batch_size = train_batch_size
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.warmup_ratio = warmup_ratio
        self.device = device
        self.seed = seed
        self.precision = precision
        self.num_threads = num_threads
        self.objective = objective
        self.min_steps = min_steps
        self.head_C = head_C

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "model_")

    # ------------------------------------------------------------------ training

    def fit(self, texts, labels, *, callback=None, should_stop=None):
        """Train from the base encoder with a fresh head; return ``self``.

        ``callback(progress)`` gets ``{"step", "total", "epoch", "epochs",
        "loss", "lr"}`` after every step; ``should_stop()`` returning True
        raises :class:`~learner.errors.TrainingCancelled` and leaves the
        classifier as it was before the call.
        """
        multi = _is_label_sets(labels)
        if multi:
            texts, labels, classes = self._check_label_sets(texts, labels)
        else:
            texts, labels = self._check_training_data(texts, labels)
        self._check_objective()
        if not multi:
            classes = self._resolve_classes(labels)
        device = resolve_device(self.device)
        source = resolve_model(self.model)
        tokenizer = load_tokenizer(source)
        if self.seed is not None:
            torch.manual_seed(self.seed)  # the fresh head's initial weights
        model = load_fresh_classifier(source, classes, multi_label=multi).to(device)
        summary, mean_head = self._train(model, tokenizer, texts, labels, classes, device, self.seed, callback,
                                         should_stop)
        self.model_, self.tokenizer_, self.device_ = model, tokenizer, device
        self.mean_head_ = mean_head
        self.__dict__.pop("_encoder_cache", None)  # the fine-tuned encoder replaces the base one
        self.classes_ = np.asarray(classes, dtype=str)
        self.multi_label_ = multi
        self.history_ = [dict(summary, kind="fit")]
        return self

    def partial_fit(self, texts, labels, *, callback=None, should_stop=None):
        """Continue training from the current weights (warm start); ``fit`` if unfitted.

        Labels must be among ``classes_``.  On cancellation or error the
        weights are restored to what they were before the call.
        """
        if not self.__sklearn_is_fitted__():
            return self.fit(texts, labels, callback=callback, should_stop=should_stop)
        multi = _is_label_sets(labels)
        if multi != self._multi_label():
            kinds = ("label sets", "single labels")
            raise InputError(f"this classifier was fitted on {kinds[not self._multi_label()]}; "
                             f"partial_fit got {kinds[not multi]}")
        classes = [str(c) for c in self.classes_]
        if multi:
            texts, labels, _ = self._check_label_sets(texts, labels, classes)
        else:
            texts, labels = self._check_training_data(texts, labels)
        self._check_objective()
        unknown = [] if multi else sorted(set(labels) - set(classes))
        if unknown:
            raise UnknownLabelError(unknown, classes)
        snapshot = {k: v.detach().clone() for k, v in self.model_.state_dict().items()}
        seed = None if self.seed is None else self.seed + len(self.history_)
        done = False
        try:
            summary, mean_head = self._train(
                self.model_, self.tokenizer_, texts, labels, classes, self.device_, seed, callback, should_stop
            )
            done = True
        finally:
            if not done:
                self.model_.load_state_dict(snapshot)
                self.model_.eval()
        self.mean_head_ = mean_head
        self.history_.append(dict(summary, kind="partial_fit"))
        return self

    def _check_objective(self) -> None:
        if self.objective not in OBJECTIVES:
            raise InputError(f"objective must be one of {', '.join(OBJECTIVES)}, got {self.objective!r}")

    def _check_training_data(self, texts, labels):
        texts = as_text_list(texts)
        labels = _as_labels(labels)
        if len(texts) != len(labels):
            raise InputError(f"got {len(texts)} texts but {len(labels)} labels")
        if not texts:
            raise InputError("cannot train on an empty list of texts")
        return texts, labels

    def _multi_label(self) -> bool:
        return bool(getattr(self, "multi_label_", False))

    def _check_label_sets(self, texts, sets, classes=None) -> tuple[list[str], np.ndarray, list[str]]:
        """``(texts, (n, k) 0/1 matrix, classes)`` of label sets (``classes``: a fitted classifier's)."""
        texts = as_text_list(texts)
        if classes is None and self.classes is not None:
            classes = [str(c) for c in self.classes]
            if len(set(classes)) != len(classes):
                raise InputError(f"classes contains duplicates: {classes!r}")
        if isinstance(sets, np.ndarray):
            if classes is None or sets.shape[1] != len(classes):
                raise InputError("a 0/1 matrix of labels needs classes with one name per column")
            if not np.isin(sets, (0, 1)).all():
                raise InputError("a matrix of labels must hold only 0 and 1")
            matrix = sets.astype(np.int8)
        else:
            rows = list(sets)
            if any(not isinstance(row, (list, tuple, set, frozenset, np.ndarray)) for row in rows):
                raise InputError("labels mixes label sets with single labels; give every text a list of names")
            names = [[str(name) for name in row] for row in rows]
            if classes is None:
                classes = sorted({name for row in names for name in row})
            matrix = indicator_matrix(names, classes)
        if not classes:
            raise InputError("label sets name no label; pass classes=[...] with the full label set")
        if len(texts) != len(matrix):
            raise InputError(f"got {len(texts)} texts but {len(matrix)} label sets")
        if not texts:
            raise InputError("cannot train on an empty list of texts")
        return texts, matrix, list(classes)

    def _resolve_classes(self, labels: list[str]) -> list[str]:
        if self.classes is None:
            classes = sorted(set(labels))
            if len(classes) < 2:
                raise InputError(
                    f"need at least two classes to train, saw only {classes!r}; "
                    "pass classes=[...] with the full label set"
                )
            return classes
        classes = [str(c) for c in self.classes]
        if len(set(classes)) != len(classes):
            raise InputError(f"classes contains duplicates: {classes!r}")
        if len(classes) < 2:
            raise InputError(f"classes must name at least two labels, got {classes!r}")
        unknown = sorted(set(labels) - set(classes))
        if unknown:
            raise UnknownLabelError(unknown, classes)
        return classes

    def _train(self, model, tokenizer, texts, labels, classes, device, seed, callback, should_stop):
        """Train ``model`` (or the mean head over its encoder) in place; ``(summary, mean head or None)``.
        ``labels``: names, or the 0/1 matrix of label sets (multi-label)."""
        if isinstance(labels, np.ndarray):
            targets = labels
        else:
            index = {c: i for i, c in enumerate(classes)}
            targets = np.fromiter((index[label] for label in labels), dtype=np.int64, count=len(labels))
        ids = encode(tokenizer, texts, self.max_length)
        with torch_threads(self.num_threads):
            trained = model
            if self.objective == "mean_head":
                start = self._starting_head(model.base_model, tokenizer, ids, labels, classes)
                trained = MeanHeadModel(model.base_model, *start.linear())
            summary = train(
                trained,
                ids,
                targets,
                pad_id=_pad_id(tokenizer),
                device=device,
                epochs=self.epochs,
                batch_size=self.train_batch_size,
                learning_rate=self.learning_rate,
                weight_decay=self.weight_decay,
                warmup_ratio=self.warmup_ratio,
                seed=seed,
                precision=self.precision,
                min_steps=self.min_steps,
                callback=callback,
                should_stop=should_stop,
            )
        return summary, (trained if trained is not model else None)

    def _starting_head(self, encoder, tokenizer, ids, labels, classes) -> EmbeddingHead | MultiLabelHead:
        """The fast tier's head fitted on ``encoder``'s embeddings of the training texts (for label
        sets the one-vs-rest head; its thresholds are not needed, so none are cross-validated)."""
        _, X = self._run(encoder, None, tokenizer, ids, want_proba=False, want_embed=True)
        if isinstance(labels, np.ndarray):
            return MultiLabelHead(classes=classes, C=self.head_C, cv=0).fit(X, labels)
        return EmbeddingHead(classes=classes, C=self.head_C).fit(X, labels)

    # ----------------------------------------------------------------- inference

    def predict_proba(self, texts) -> np.ndarray:
        """``(n, k)`` class probabilities, columns in ``classes_`` order (multi-label: each label's
        own sigmoid)."""
        check_is_fitted(self)
        proba, _ = self._infer(texts, want_proba=True, want_embed=False)
        return proba

    def predict(self, texts) -> np.ndarray:
        """The most probable class name for every text; multi-label: the ``(n, k)`` 0/1 matrix of the
        labels whose probability reaches ``DEFAULT_THRESHOLD``."""
        proba = self.predict_proba(texts)
        if self._multi_label():
            return (proba >= DEFAULT_THRESHOLD).astype(np.int8)
        return self.classes_[proba.argmax(axis=1)] if len(proba) else self.classes_[:0]

    def embed(self, texts, *, callback=None) -> np.ndarray:
        """``(n, d)`` mean-pooled, L2-normalised sentence vectors (float32).

        Uses the fine-tuned encoder once fitted, the base encoder before.
        ``callback(done, total)`` runs after every batch; an exception it raises
        (a cancellation) stops the work there.
        """
        _, emb = self._infer(texts, want_proba=False, want_embed=True, callback=callback)
        return emb

    def predict_proba_and_embed(self, texts, *, callback=None) -> tuple[np.ndarray, np.ndarray]:
        """Probabilities and embeddings from a single forward pass over ``texts`` (``callback`` as for embed)."""
        check_is_fitted(self)
        return self._infer(texts, want_proba=True, want_embed=True, callback=callback)

    def _base_encoder(self):
        """The encoder and tokenizer used before fitting (loaded once, cached)."""
        source = resolve_model(self.model)
        cached = getattr(self, "_encoder_cache", None)
        if cached is None or cached[0] != (source, str(self.device)):
            encoder = load_encoder(source).to(resolve_device(self.device))
            self._encoder_cache = ((source, str(self.device)), encoder, load_tokenizer(source))
        return self._encoder_cache[1], self._encoder_cache[2]

    def _infer(self, texts, *, want_proba: bool, want_embed: bool, callback=None):
        texts = as_text_list(texts)
        if self.__sklearn_is_fitted__():
            model, tokenizer = self.model_, self.tokenizer_
            encoder = model.base_model
            head = getattr(self, "mean_head_", None)
            if head is not None:
                model = head
        else:
            encoder, tokenizer = self._base_encoder()
            model = None
        n = len(texts)
        if n == 0:
            n_classes = len(self.classes_) if model is not None else 0
            return np.zeros((0, n_classes)), np.zeros((0, encoder.config.hidden_size), dtype=np.float32)
        return self._run(encoder, model, tokenizer, encode(tokenizer, texts, self.max_length),
                         want_proba=want_proba, want_embed=want_embed, callback=callback)

    def _run(self, encoder, model, tokenizer, ids, *, want_proba: bool, want_embed: bool, callback=None):
        """Probabilities (from ``model``: a sequence classifier or a :class:`MeanHeadModel`) and/or
        mean-pooled embeddings of token ids, in batches of similar lengths."""
        device = next(encoder.parameters()).device
        n = len(ids)
        pin = device.type == "cuda"
        squash = _sigmoid if self._multi_label() else _softmax
        probas, embeds, positions = [], [], []
        with torch_threads(self.num_threads), torch.inference_mode(), autocast_context(device, self.precision):
            for batch in inference_batches(ids, inference_batch_size(device, self.batch_size), _pad_id(tokenizer)):
                inputs = batch.tensors(device, pin_memory=pin)
                pooled = None
                if want_proba and isinstance(model, MeanHeadModel):
                    out = model(**inputs)
                    probas.append(squash(out.logits.float()).cpu().numpy())
                    pooled = out.pooled
                elif want_proba:
                    out = model(**inputs, output_hidden_states=want_embed)
                    probas.append(squash(out.logits.float()).cpu().numpy())
                    if want_embed:
                        pooled = mean_pool(out.hidden_states[-1], inputs["attention_mask"])
                else:
                    pooled = mean_pool(encoder(**inputs).last_hidden_state, inputs["attention_mask"])
                if want_embed:
                    embeds.append(pooled.float().cpu().numpy())
                positions.append(batch.positions)
                if callback is not None:
                    callback(sum(len(p) for p in positions), n)
        proba = scatter(probas, positions, n).astype(np.float64) if want_proba else None
        emb = scatter(embeds, positions, n) if want_embed else None
        return proba, emb

    # ------------------------------------------------------------- persistence

    def save(self, directory) -> Path:
        """Write a transformers folder (model, tokenizer, label names) atomically; return its path.

        The folder is written next to ``directory`` under a temporary name and
        renamed into place, so readers never see a half-written model.  An
        existing folder at ``directory`` is replaced.
        """
        check_is_fitted(self)
        target = Path(directory).resolve()
        with atomic_folder(target) as tmp:
            with quiet_transformers():
                self.model_.save_pretrained(tmp)
                self.tokenizer_.save_pretrained(tmp)
            head = getattr(self, "mean_head_", None)
            if head is not None:
                coef, intercept = head.weights()
                np.savez(tmp / MEAN_HEAD_FILE, coef=coef, intercept=intercept)
            meta = {
                "format": 1,
                "classes": [str(c) for c in self.classes_],
                "params": {name: getattr(self, name) for name in _SAVED_PARAMS},
                "base_model": getattr(self, "base_model_", None) or portable_model_name(self.model),
                "history": self.history_,
                **({"multi_label": True} if self._multi_label() else {}),
            }
            (tmp / META_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")
        return target

    @classmethod
    def load(cls, directory, device=None) -> TransformerClassifier:
        """A fitted classifier from a folder written by ``save`` (or any fine-tuned
        sequence-classification checkpoint; label names come from its config)."""
        source = Path(directory).expanduser()
        if not source.is_dir():
            raise ModelLoadError(f"model folder not found: {source}")
        source = source.resolve()
        meta_path = source / META_FILE
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
        params = {k: v for k, v in meta.get("params", {}).items() if k in _SAVED_PARAMS}
        head_path = source / MEAN_HEAD_FILE
        # a folder saved before the objective existed (or any other checkpoint) trained its classifier
        params.setdefault("objective", "mean_head" if head_path.exists() else "classifier")
        model = load_trained_classifier(str(source))
        classes = classes_from_config(model.config)
        clf = cls(model=str(source), classes=classes, device=device, **params)
        clf.device_ = resolve_device(device)
        clf.model_ = model.to(clf.device_)
        clf.tokenizer_ = load_tokenizer(str(source))
        clf.classes_ = np.asarray(classes, dtype=str)
        clf.multi_label_ = bool(meta.get("multi_label")) or model.config.problem_type == MULTI_LABEL_PROBLEM
        clf.history_ = list(meta.get("history", []))
        clf.mean_head_ = None
        if head_path.exists():
            try:
                with np.load(head_path) as saved:
                    coef, intercept = saved["coef"], saved["intercept"]
            except (OSError, ValueError, KeyError) as error:
                raise ModelLoadError(f"{head_path}: unreadable mean head ({error})") from None
            if coef.shape != (len(classes), model.config.hidden_size) or intercept.shape != (len(classes),):
                raise ModelLoadError(f"{head_path}: mean head of shape {coef.shape} does not fit "
                                     f"{len(classes)} classes of width {model.config.hidden_size}")
            clf.mean_head_ = MeanHeadModel(clf.model_.base_model, coef, intercept).eval()
        if meta.get("base_model"):
            clf.base_model_ = portable_model_name(str(meta["base_model"]))
        return clf


def _softmax(logits: torch.Tensor) -> torch.Tensor:
    return logits.softmax(dim=-1)


def _sigmoid(logits: torch.Tensor) -> torch.Tensor:
    return logits.sigmoid()


def _pad_id(tokenizer) -> int:
    return tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
