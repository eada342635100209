"""Write an embedding head and its encoder as ONE standard transformers classifier.

The fast head (:class:`learner.head.EmbeddingHead`) is a linear function of the
encoder's mean-pooled token vectors (centred and length-normalised, see
:func:`learner.head.head_features`). A ``BertForSequenceClassification`` only
classifies the first token's vector, so the head cannot be copied into one as
it is. This module appends one transformer layer to the encoder whose weights
make it compute the pooling itself, then puts the head where the classifier
goes. The result is a plain ``BertForSequenceClassification`` (or
``RobertaForSequenceClassification``): ``transformers.pipeline(
"text-classification", model=folder)`` loads it with no custom code and gives
the head's probabilities (to about 1e-5).

The appended layer, for a hidden size ``d``:

* attention: query and key weights are zero, so every token attends equally
  to every unmasked token; value is the identity, so each position receives
  the masked mean ``m`` of the encoder's last hidden states (padding excluded,
  as in our pooling). The output projection scales it by ``LAMBDA`` (1e6);
  the residual adds the position's own vector, which is then 1e-6 of the sum
  and vanishes in the LayerNorm, leaving ``LayerNorm(m)``. A LayerNorm with
  unit weight and zero bias is ``sqrt(d) * head_features(m)``.
* feed-forward: zero weights, so the block passes its input through (its
  LayerNorm of an already normalised vector changes nothing).
* pooler (BERT) or classification dense layer (RoBERTa): ``EPSILON`` (1e-4)
  times the identity, so ``tanh`` works in its linear range (relative error
  below 1e-7 for the values LayerNorm gives).
* classifier: the head's coefficients divided by ``EPSILON * sqrt(d)``, and its
  intercepts.

Numpy and safetensors only (no torch), so the labeling app may build an export.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ModelLoadError
from .folders import atomic_folder

LAMBDA = 1e6
EPSILON = 1e-4
META_FILE = "labelloop.json"
WEIGHTS_FILE = "model.safetensors"
TOKENIZER_FILES = (
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
    "vocab.txt", "vocab.json", "merges.txt", "sentencepiece.bpe.model", "spiece.model",
)


class ExportError(ModelLoadError):
    """The encoder cannot be written as a head classifier (unsupported architecture, missing files)."""


# model_type -> (weight prefix, architecture, head kind). RoBERTa-style models classify
# through a dense + tanh layer of their own instead of BERT's pooler.
SUPPORTED = {
    "bert": ("bert", "BertForSequenceClassification", "pooler"),
    "roberta": ("roberta", "RobertaForSequenceClassification", "dense"),
    "xlm-roberta": ("roberta", "XLMRobertaForSequenceClassification", "dense"),
}


def read_config(encoder_dir: str | os.PathLike) -> dict[str, Any]:
    path = Path(encoder_dir) / "config.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ExportError(f"cannot read the encoder's config.json in {Path(encoder_dir).name}: {error}") from None


def check_supported(config: dict[str, Any]) -> None:
    model_type = config.get("model_type")
    if model_type not in SUPPORTED:
        raise ExportError(
            f"exporting the model is implemented for {', '.join(sorted(SUPPORTED))} encoders, "
            f"not {model_type!r}"
        )


def _load_weights(encoder_dir: Path) -> dict[str, np.ndarray]:
    from safetensors import SafetensorError
    from safetensors.numpy import load_file

    index = encoder_dir / f"{WEIGHTS_FILE}.index.json"
    if index.is_file():
        files = sorted(set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values()))
    elif (encoder_dir / WEIGHTS_FILE).is_file():
        files = [WEIGHTS_FILE]
    else:
        raise ExportError(f"the encoder folder {encoder_dir.name} has no {WEIGHTS_FILE}")
    weights: dict[str, np.ndarray] = {}
    for name in files:
        try:
            weights.update(load_file(encoder_dir / name))
        except (OSError, SafetensorError) as error:
            raise ExportError(f"cannot read {name} in {encoder_dir.name}: {error}") from None
    return weights


def _encoder_weights(weights: dict[str, np.ndarray], prefix: str, n_layers: int) -> dict[str, np.ndarray]:
    """The embeddings and encoder layers, keys without the model prefix, as float32."""
    out = {}
    for key, value in weights.items():
        bare = key[len(prefix) + 1:] if key.startswith(prefix + ".") else key
        if bare.startswith(("embeddings.", "encoder.layer.")):
            out[bare] = np.ascontiguousarray(value, dtype=np.float32)
    last = f"encoder.layer.{n_layers - 1}.attention.self.query.weight"
    if last not in out or "embeddings.word_embeddings.weight" not in out:
        raise ExportError(f"the encoder weights do not match its config ({n_layers} layers expected)")
    return out


def pooling_layer(d: int, intermediate: int, index: int) -> dict[str, np.ndarray]:
    """Weights of an encoder layer that turns every position into LayerNorm(masked mean)."""
    eye = np.eye(d, dtype=np.float32)
    zero_dd = np.zeros((d, d), dtype=np.float32)
    zero_d = np.zeros(d, dtype=np.float32)
    one_d = np.ones(d, dtype=np.float32)
    layer = {
        "attention.self.query.weight": zero_dd, "attention.self.query.bias": zero_d,
        "attention.self.key.weight": zero_dd, "attention.self.key.bias": zero_d,
        "attention.self.value.weight": eye, "attention.self.value.bias": zero_d,
        "attention.output.dense.weight": eye * np.float32(LAMBDA), "attention.output.dense.bias": zero_d,
        "attention.output.LayerNorm.weight": one_d, "attention.output.LayerNorm.bias": zero_d,
        "intermediate.dense.weight": np.zeros((intermediate, d), dtype=np.float32),
        "intermediate.dense.bias": np.zeros(intermediate, dtype=np.float32),
        "output.dense.weight": np.zeros((d, intermediate), dtype=np.float32), "output.dense.bias": zero_d,
        "output.LayerNorm.weight": one_d, "output.LayerNorm.bias": zero_d,
    }
    return {f"encoder.layer.{index}.{name}": value.copy() for name, value in layer.items()}


def head_weights(kind: str, prefix: str, coef: np.ndarray, intercept: np.ndarray) -> dict[str, np.ndarray]:
    """The pooler/dense layer at EPSILON and the classifier carrying the head."""
    k, d = coef.shape
    near_linear = np.eye(d, dtype=np.float32) * np.float32(EPSILON)
    out_weight = (np.asarray(coef, dtype=np.float64) / (EPSILON * math.sqrt(d))).astype(np.float32)
    out_bias = np.asarray(intercept, dtype=np.float32)
    if kind == "pooler":
        return {f"{prefix}.pooler.dense.weight": near_linear, f"{prefix}.pooler.dense.bias": np.zeros(d, np.float32),
                "classifier.weight": out_weight, "classifier.bias": out_bias}
    return {"classifier.dense.weight": near_linear, "classifier.dense.bias": np.zeros(d, np.float32),
            "classifier.out_proj.weight": out_weight, "classifier.out_proj.bias": out_bias}


def _classifier_config(config: dict[str, Any], architecture: str, classes: list[str], name: str,
                       multi_label: bool = False) -> dict[str, Any]:
    out = {key: value for key, value in config.items() if not key.startswith("_")}
    out.update(
        architectures=[architecture],
        num_hidden_layers=int(config["num_hidden_layers"]) + 1,
        id2label={str(i): label for i, label in enumerate(classes)},
        label2id={label: i for i, label in enumerate(classes)},
        problem_type="multi_label_classification" if multi_label else "single_label_classification",
        dtype="float32",
        _name_or_path=name,
    )
    out.pop("torch_dtype", None)
    return out


def _copy_tokenizer(encoder_dir: Path, target: Path, max_length: int, name: str) -> None:
    copied = 0
    for file in TOKENIZER_FILES:
        if (encoder_dir / file).is_file():
            shutil.copy2(encoder_dir / file, target / file)
            copied += 1
    config_path = target / "tokenizer_config.json"
    if not copied or not config_path.is_file():
        raise ExportError(f"the encoder folder {encoder_dir.name} has no tokenizer files")
    tokenizer_config = json.loads(config_path.read_text(encoding="utf-8"))
    # Our embeddings see the first max_length tokens: pipeline(..., truncation=True) then does the same.
    tokenizer_config["model_max_length"] = int(max_length)
    for key in ("name_or_path", "is_local", "local_files_only", "max_length", "truncation_strategy"):
        tokenizer_config.pop(key, None)
    tokenizer_config["name_or_path"] = name
    config_path.write_text(json.dumps(tokenizer_config, indent=2, ensure_ascii=False), encoding="utf-8")


def write_head_classifier(
    encoder_dir: str | os.PathLike,
    coef: np.ndarray,
    intercept: np.ndarray,
    classes: list[str],
    out_dir: str | os.PathLike,
    *,
    max_length: int,
    name: str = "labelloop-model",
    metadata: dict[str, Any] | None = None,
    readme: str | None = None,
    thresholds: list[float] | None = None,
) -> Path:
    """Write the classifier folder for ``encoder_dir`` + head (``coef``, ``intercept``) atomically.

    ``coef`` (k x d) and ``intercept`` (k) act on :func:`learner.head.head_features` of the
    encoder's mean-pooled vectors, in ``classes`` order (``EmbeddingHead.linear()``).
    ``metadata`` is stored in ``labelloop.json`` with the classes and ``max_length``.

    ``thresholds`` (one per class) make it a multi-label classifier (a
    :class:`learner.multi_label_head.MultiLabelHead`): ``problem_type`` is
    ``multi_label_classification``, so ``pipeline`` gives each label's sigmoid, equal to
    ``predict_proba``; the thresholds that decide each label are in ``labelloop.json`` and in
    the config as ``label_thresholds``.
    """
    encoder_dir = Path(encoder_dir)
    config = read_config(encoder_dir)
    check_supported(config)
    prefix, architecture, kind = SUPPORTED[config["model_type"]]
    d, n_layers = int(config["hidden_size"]), int(config["num_hidden_layers"])
    coef = np.asarray(coef, dtype=np.float64)
    intercept = np.asarray(intercept, dtype=np.float64)
    if coef.shape != (len(classes), d) or intercept.shape != (len(classes),):
        raise ExportError(
            f"head of shape {coef.shape} does not fit {len(classes)} classes on a {d}-wide encoder"
        )
    if not (np.isfinite(coef).all() and np.isfinite(intercept).all()):
        raise ExportError("the head holds NaN or infinite weights")
    tensors = _encoder_weights(_load_weights(encoder_dir), prefix, n_layers)
    tensors.update(pooling_layer(d, int(config["intermediate_size"]), n_layers))
    tensors = {f"{prefix}.{key}": value for key, value in tensors.items()}
    tensors.update(head_weights(kind, prefix, coef, intercept))

    target = Path(out_dir)
    from safetensors.numpy import save_file

    with atomic_folder(target) as tmp:
        save_file(tensors, str(tmp / WEIGHTS_FILE), metadata={"format": "pt"})
        classifier_config = _classifier_config(config, architecture, list(classes), name, thresholds is not None)
        if thresholds is not None:
            if len(thresholds) != len(classes):
                raise ExportError(f"{len(thresholds)} thresholds for {len(classes)} classes")
            classifier_config["label_thresholds"] = {c: float(t) for c, t in zip(classes, thresholds)}
        (tmp / "config.json").write_text(json.dumps(classifier_config, indent=2, ensure_ascii=False),
                                         encoding="utf-8")
        _copy_tokenizer(encoder_dir, tmp, max_length, name)
        meta = {"format": 1, "classes": list(classes), "params": {"max_length": int(max_length)},
                "structure": {"pooling_layer": n_layers, "lambda": LAMBDA, "epsilon": EPSILON},
                **({"multi_label": True, "thresholds": [float(t) for t in thresholds]} if thresholds is not None
                   else {}),
                **(metadata or {})}
        (tmp / META_FILE).write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
        if readme is not None:
            (tmp / "README.md").write_text(readme, encoding="utf-8")
    return target


def read_label_thresholds(folder: str | os.PathLike, classes) -> np.ndarray:
    """The per-label thresholds a multi-label folder was written with, in ``classes`` order.

    From ``labelloop.json`` (``thresholds``), else the config's ``label_thresholds``, else 0.5 each
    (a multi-label checkpoint from elsewhere)."""
    folder = Path(folder)
    meta_path = folder / META_FILE
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
    thresholds = meta.get("thresholds")
    if thresholds is None:
        by_label = read_config(folder).get("label_thresholds") or {}
        thresholds = [by_label.get(str(name), 0.5) for name in classes]
    if len(thresholds) != len(classes):
        raise ModelLoadError(f"{folder}: {len(thresholds)} thresholds for {len(classes)} labels")
    return np.asarray(thresholds, dtype=np.float64)
