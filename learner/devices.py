"""Device choice, mixed precision and seeding.

CUDA is used when available unless a device string says otherwise.  On CUDA
the forward passes run under bf16 autocast (weights stay fp32, so training
needs no loss scaling); on CPU everything runs in fp32, which is both the
fastest and the deterministic choice there.
"""

from __future__ import annotations

import contextlib

import torch

from .errors import InputError

PRECISIONS = ("auto", "fp32", "bf16")

# Inference batches on CUDA are this many times the configured batch size:
# the GPU is starved by CPU-sized batches of short texts.
CUDA_BATCH_MULTIPLIER = 8


def resolve_device(device=None) -> torch.device:
    """Return the torch device to use.

    ``None`` or ``"auto"`` picks CUDA when available, else CPU.  Any string
    torch understands (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``) or a
    ``torch.device`` overrides the choice.  Asking for CUDA on a machine
    without it is an error rather than a silent fallback.
    """
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        chosen = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise InputError(f"not a torch device: {device!r}") from exc
    if chosen.type == "cuda" and not torch.cuda.is_available():
        raise InputError(f"device {device!r} requested but CUDA is not available")
    return chosen


def bf16_supported(device: torch.device) -> bool:
    """True when bf16 autocast is worth using on ``device`` (a CUDA GPU that supports it)."""
    return device.type == "cuda" and torch.cuda.is_bf16_supported()


def autocast_dtype(device: torch.device, precision: str = "auto"):
    """The autocast dtype for ``device`` and ``precision``, or None for plain fp32.

    ``"auto"`` means bf16 on a CUDA GPU that supports it, fp32 elsewhere;
    ``"bf16"`` forces bf16 autocast (also on CPU, which is slow on most CPUs);
    ``"fp32"`` disables autocast.
    """
    if precision not in PRECISIONS:
        raise InputError(f"precision must be one of {PRECISIONS}, not {precision!r}")
    if precision == "fp32":
        return None
    if precision == "bf16":
        return torch.bfloat16
    return torch.bfloat16 if bf16_supported(device) else None


def autocast_context(device: torch.device, precision: str = "auto"):
    """A context manager: bf16 autocast on CUDA (per ``precision``), a no-op otherwise."""
    dtype = autocast_dtype(device, precision)
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def inference_batch_size(device: torch.device, batch_size: int) -> int:
    """The inference batch size actually used: larger on CUDA."""
    if device.type == "cuda":
        return batch_size * CUDA_BATCH_MULTIPLIER
    return batch_size


def describe(device: torch.device) -> dict:
    """A JSON-serialisable description of ``device`` for logs and reports."""
    info = {"device": str(device), "torch": torch.__version__, "threads": torch.get_num_threads()}
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        info["gpu"] = torch.cuda.get_device_name(index)
        info["bf16"] = torch.cuda.is_bf16_supported()
    return info


@contextlib.contextmanager
def torch_threads(n: int | None):
    """Temporarily set torch's intra-op thread count (``None``: leave it alone).

    On a busy shared CPU, small models run far faster on one thread than on
    several that keep waiting for each other; the test suite uses this.
    """
    if n is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
