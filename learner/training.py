"""The fine-tuning loop: AdamW, linear warmup then linear decay, seeded batches,
progress callbacks and cancellation between steps.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from .batching import training_batches
from .devices import autocast_context
from .errors import InputError, TrainingCancelled

MAX_GRAD_NORM = 1.0

Progress = Callable[[dict], None]


def linear_schedule(total_steps: int, warmup_steps: int) -> Callable[[int], float]:
    """LR multiplier: ramps up linearly over ``warmup_steps``, then decays linearly to 0 at ``total_steps``."""

    def factor(step: int) -> float:
        if step < warmup_steps:
            return (step + 1) / warmup_steps
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))

    return factor


def make_optimizer(model: torch.nn.Module, learning_rate: float, weight_decay: float) -> torch.optim.Optimizer:
    """AdamW with no weight decay on biases and normalisation weights (1-D parameters)."""
    decay, no_decay = [], []
    for param in model.parameters():
        if param.requires_grad:
            (no_decay if param.ndim < 2 else decay).append(param)
    groups = [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=learning_rate)


def train(
    model: torch.nn.Module,
    ids: list[list[int]],
    targets: np.ndarray,
    *,
    pad_id: int,
    device: torch.device,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    weight_decay: float,
    warmup_ratio: float,
    seed: int | None,
    precision: str = "auto",
    min_steps: int = 0,
    callback: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> dict:
    """Fine-tune ``model`` in place on token ids ``ids`` with integer ``targets``, or with an
    ``(n, k)`` 0/1 matrix of ``targets`` for a multi-label model (each row a text's label set).

    The loss is the cross-entropy of the softmax over the logits for integer targets, the binary
    cross-entropy of each logit's sigmoid (mean over texts and labels) for a 0/1 matrix.

    ``model(**inputs)`` must return an object with ``.logits``. The run takes
    ``max(epochs * batches per epoch, min_steps)`` optimiser steps: on few labels
    ``min_steps`` adds epochs (100 labels at batch 16 are 21 steps in 3 epochs,
    too few to move the encoder; see docs/benchmarks.md), and the last epoch
    stops when the step count is reached. Warmup and decay run over that total.

    ``callback(progress)`` is called after every optimiser step with
    ``{"step", "total", "epoch", "epochs", "loss", "lr"}`` (step and epoch
    count from 1).  ``should_stop()`` is polled before every step; when it
    returns True, :class:`TrainingCancelled` is raised and the model is left
    part-trained (callers restore it).  Returns a summary dict.
    """
    if epochs < 0:
        raise InputError(f"epochs must be >= 0, got {epochs}")
    if min_steps < 0:
        raise InputError(f"min_steps must be >= 0, got {min_steps}")
    if not 0.0 <= warmup_ratio < 1.0:
        raise InputError(f"warmup_ratio must be in [0, 1), got {warmup_ratio}")
    rng = np.random.default_rng(seed)
    if seed is not None:
        torch.manual_seed(seed)
    steps_per_epoch = math.ceil(len(ids) / batch_size)
    total = max(epochs * steps_per_epoch, min_steps if epochs > 0 else 0)
    epochs = math.ceil(total / steps_per_epoch) if steps_per_epoch else 0
    optimizer = make_optimizer(model, learning_rate, weight_decay)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, linear_schedule(total, int(total * warmup_ratio))
    )
    pin = device.type == "cuda"
    multi_label = np.ndim(targets) == 2
    all_targets = torch.as_tensor(np.asarray(targets, dtype=np.float32 if multi_label else np.int64))
    started = time.perf_counter()
    epoch_losses: list[float] = []
    step = 0
    model.train()
    try:
        for epoch in range(1, epochs + 1):
            running, seen = 0.0, 0
            for batch in training_batches(ids, batch_size, pad_id, rng):
                if step >= total:
                    break
                if should_stop is not None and should_stop():
                    raise TrainingCancelled(step, total)
                inputs = batch.tensors(device, pin_memory=pin)
                labels = all_targets[batch.positions].to(device, non_blocking=pin)
                with autocast_context(device, precision):
                    logits = model(**inputs).logits
                if multi_label:
                    loss = F.binary_cross_entropy_with_logits(logits.float(), labels)
                else:
                    loss = F.cross_entropy(logits.float(), labels)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), MAX_GRAD_NORM)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                step += 1
                value = float(loss.detach())
                running += value * len(batch.positions)
                seen += len(batch.positions)
                if callback is not None:
                    callback(
                        {
                            "step": step,
                            "total": total,
                            "epoch": epoch,
                            "epochs": epochs,
                            "loss": value,
                            "lr": scheduler.get_last_lr()[0],
                        }
                    )
            epoch_losses.append(running / max(seen, 1))
    finally:
        model.eval()
    return {
        "steps": step,
        "epochs": epochs,
        "n": len(ids),
        "epoch_losses": epoch_losses,
        "loss": epoch_losses[-1] if epoch_losses else None,
        "seconds": time.perf_counter() - started,
    }
