"""bench speed --parts flops,int8 on the tiny BERT: complete JSON, FLOPs counted right, no timing asserted."""

from __future__ import annotations

import json

import pytest

from annotator.cli import main
from benchmarks.encoder_pass import Tokenised
from benchmarks.flops import count_flops, sequence_flops

FLOPS_KEYS = {"layers", "hidden", "linear_weights_per_token", "texts", "real_tokens", "padded_tokens",
              "mflop_per_text", "real_mflop_per_text", "matmul_n", "matmul_gflops", "peak_gflops",
              "matmul_median_gflops", "encoder_s", "encoder_gflops", "encoder_median_gflops",
              "encoder_best_gflops", "texts_per_s", "fraction", "fraction_of_peak", "torch_threads",
              "ffn_gemm_shape", "ffn_gemm_median_gflops"}


def test_sequence_flops_counts_linear_layers_attention_and_pooler():
    shape = {"layers": 2, "hidden": 4, "linear_weights_per_token": 100, "pooler_weights": 16}
    # 2 * 100 weights * 3 tokens + 2 * 2 * 3^2 * 4 * 2 layers + 2 * 16
    assert sequence_flops(shape, 3) == 600 + 288 + 32


def test_count_flops_padded_batches_and_real_lengths():
    shape = {"layers": 1, "hidden": 2, "linear_weights_per_token": 10, "pooler_weights": 0}
    tokens = Tokenised(ids=[[1, 2, 3], [1], [1, 2]], pad_id=0, batch_size=2)
    counted = count_flops(shape, tokens)
    # Longest first: batch (3, 2 tokens) padded to 3, then the 1-token text alone.
    assert counted["padded_tokens"] == 2 * 3 + 1 and counted["real_tokens"] == 6
    assert counted["padded"] == 2 * sequence_flops(shape, 3) + sequence_flops(shape, 1)
    assert counted["real"] == sum(sequence_flops(shape, n) for n in (3, 1, 2))


def test_cli_bench_speed_flops_and_int8_quick(tmp_path, tiny_dataset, capsys):
    out = tmp_path / "cpu.json"
    code = main(["bench", "speed", "--quick", "--parts", "flops,int8", "--data", str(tiny_dataset),
                 "--train-texts", "100", "--seeds", "0,1", "--threads", "1", "--json", str(out),
                 "--workdir", str(tmp_path)])
    assert code == 0
    result = json.loads(out.read_text())
    assert "scoring" not in result and "refresh" not in result
    flops = result["flops"]
    assert FLOPS_KEYS <= set(flops)
    assert flops["torch_threads"] == 1 and flops["ffn_gemm_median_gflops"] > 0
    assert flops["ffn_gemm_shape"][1:] == [32, 64]
    assert 0 < flops["fraction"] <= 1 and 0 < flops["fraction_of_peak"] <= 1
    assert flops["peak_gflops"] >= flops["matmul_median_gflops"] > 0
    assert flops["real_tokens"] <= flops["padded_tokens"]
    assert 0 < flops["real_mflop_per_text"] <= flops["mflop_per_text"]
    # The tiny BERT: 2 layers of 4 * 32^2 + 2 * 32 * 64 linear weights.
    assert flops["linear_weights_per_token"] == 2 * (4 * 32 * 32 + 2 * 32 * 64)
    _check_int8(result["int8"], tiny_dataset.name, ["torch_fp32", "torch_int8"])
    assert "fraction" in capsys.readouterr().out
    assert not list(tmp_path.glob("labelloop-speed-*")), "temporary projects are removed"


def test_cli_bench_speed_int8_needs_data_outside_quick(tmp_path, capsys):
    assert main(["bench", "speed", "--parts", "int8", "--workdir", str(tmp_path)]) == 1
    assert "--data" in capsys.readouterr().err


def _check_int8(int8: dict, dataset: str, variants: list[str]) -> None:
    assert int8["variants"] == variants and int8["reference"] == "torch_fp32"
    speed = int8["speed"]
    assert set(speed["texts_per_s"]) == set(speed["speedup"]) == set(speed["seconds"]) == set(variants)
    assert all(value > 0 for value in speed["texts_per_s"].values())
    assert speed["speedup"]["torch_fp32"] == 1.0
    assert all(len(times) == speed["rounds"] for times in speed["seconds"].values())
    [row] = int8["accuracy"]
    assert row["dataset"] == dataset and row["train_texts"] == 100
    assert [run["seed"] for run in row["runs"]] == [0, 1]
    for run in row["runs"]:
        assert all(0 <= run["accuracy"][kind] <= 100 for kind in variants)
        assert run["agreement"]["torch_fp32"] == 1.0
    assert row["change_points"]["torch_fp32"] == 0.0
    assert all(0.9 < row["test_cosine_mean"][kind] <= 1.0 + 1e-6 for kind in variants)
    assert set(int8["verdicts"]) == {kind for kind in variants if kind.endswith("int8")}
    for verdict in int8["verdicts"].values():
        assert verdict["verdict"] == ("keep" if verdict["fast_enough"] and verdict["accurate_enough"] else "reject")


def test_cli_bench_speed_int8_with_onnx_runtime(tmp_path, tiny_dataset):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    out = tmp_path / "int8.json"
    code = main(["bench", "speed", "--quick", "--parts", "int8", "--int8-backends", "torch,ort", "--threads", "1",
                 "--data", str(tiny_dataset), "--train-texts", "100", "--seeds", "0,1", "--json", str(out),
                 "--workdir", str(tmp_path)])
    assert code == 0
    int8 = json.loads(out.read_text())["int8"]
    _check_int8(int8, tiny_dataset.name, ["torch_fp32", "torch_int8", "ort_fp32", "ort_int8"])
    assert int8["torch_threads"] == 1


def test_cli_bench_speed_rejects_unknown_int8_backend(tmp_path, tiny_dataset, capsys):
    assert main(["bench", "speed", "--quick", "--parts", "int8", "--int8-backends", "tpu",
                 "--data", str(tiny_dataset), "--workdir", str(tmp_path)]) == 1
    assert "unknown int8 backend" in capsys.readouterr().err
