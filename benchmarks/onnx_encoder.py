"""The encoder under ONNX Runtime, fp32 or dynamically quantized int8, for the int8 benchmark.

Optional: needs ``onnxruntime`` and ``onnx`` (``pip install onnxruntime onnx``), which the
project does not depend on. The bare encoder is exported once with ``torch.onnx.export``
(the TorchScript exporter, ``dynamo=False``; batch and length dynamic), quantized with
``onnxruntime.quantization.quantize_dynamic`` (int8 weights, activations quantized at run
time), and wrapped so that :func:`benchmarks.encoder_pass.embed_tokens` runs it exactly as it
runs a torch encoder: ``encoder(input_ids=..., attention_mask=...).last_hidden_state``.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from types import SimpleNamespace

from annotator.errors import InputError

OPSET = 17


def require_onnxruntime() -> None:
    """A one-line error when the optional packages are missing."""
    try:
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError as error:
        raise InputError(f"the ort variants need onnxruntime and onnx ({error}); "
                         "pip install onnxruntime onnx") from None


def export(encoder, path: Path) -> Path:
    """Write the bare encoder (token ids and mask in, last hidden state out) as ONNX at ``path``."""
    import torch

    class LastHidden(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    example = (torch.ones(2, 8, dtype=torch.long), torch.ones(2, 8, dtype=torch.long))
    axes = {0: "batch", 1: "length"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(LastHidden(encoder).eval(), example, str(path), input_names=["input_ids", "attention_mask"],
                          output_names=["last_hidden_state"], opset_version=OPSET, dynamo=False,
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes})
    return path


def quantize(path: Path, out: Path) -> Path:
    """The ONNX model at ``path`` with int8 dynamic quantization, written to ``out``."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().setLevel(logging.ERROR)  # its advice to pre-process first
    quantize_dynamic(str(path), str(out), weight_type=QuantType.QInt8)
    return out


class OnnxEncoder:
    """An ONNX Runtime session called like a transformers encoder (CPU, ``threads`` intra-op threads)."""

    def __init__(self, path: Path, threads: int):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

    def __call__(self, input_ids, attention_mask):
        import torch

        feed = {"input_ids": input_ids.numpy(), "attention_mask": attention_mask.numpy()}
        return SimpleNamespace(last_hidden_state=torch.from_numpy(self.session.run(None, feed)[0]))


def onnx_variants(encoder, folder: Path, threads: int) -> dict[str, OnnxEncoder]:
    """``{"ort_fp32": ..., "ort_int8": ...}``: the encoder exported to ``folder`` and quantized."""
    require_onnxruntime()
    fp32 = export(encoder, folder / "encoder.onnx")
    int8 = quantize(fp32, folder / "encoder_int8.onnx")
    return {"ort_fp32": OnnxEncoder(fp32, threads), "ort_int8": OnnxEncoder(int8, threads)}
