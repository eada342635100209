"""bench speed --parts flops,int8 on the tiny BERT: complete JSON, FLOPs counted right, no timing asserted."""

from __future__ import annotations

import json

from annotator.cli import main
from benchmarks.encoder_pass import Tokenised
from benchmarks.flops import count_flops, sequence_flops

FLOPS_KEYS = {"layers", "hidden", "linear_weights_per_token", "texts", "real_tokens", "padded_tokens",
              "mflop_per_text", "real_mflop_per_text", "matmul_n", "matmul_gflops", "peak_gflops",
              "matmul_median_gflops", "encoder_s", "encoder_gflops", "encoder_median_gflops",
              "encoder_best_gflops", "texts_per_s", "fraction", "fraction_of_peak", "torch_threads"}


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
                 "--train-texts", "100", "--seeds", "0,1", "--json", str(out), "--workdir", str(tmp_path)])
    assert code == 0
    result = json.loads(out.read_text())
    assert "scoring" not in result and "refresh" not in result
    flops = result["flops"]
    assert FLOPS_KEYS <= set(flops)
    assert 0 < flops["fraction"] <= 1 and 0 < flops["fraction_of_peak"] <= 1
    assert flops["peak_gflops"] >= flops["matmul_median_gflops"] > 0
    assert flops["real_tokens"] <= flops["padded_tokens"]
    assert 0 < flops["real_mflop_per_text"] <= flops["mflop_per_text"]
    # The tiny BERT: 2 layers of 4 * 32^2 + 2 * 32 * 64 linear weights.
    assert flops["linear_weights_per_token"] == 2 * (4 * 32 * 32 + 2 * 32 * 64)
    int8 = result["int8"]
    speed = int8["speed"]
    assert speed["fp32_texts_per_s"] > 0 and speed["int8_texts_per_s"] > 0 and speed["speedup"] > 0
    assert len(speed["fp32_s"]) == len(speed["int8_s"]) == speed["rounds"]
    [row] = int8["accuracy"]
    assert row["dataset"] == tiny_dataset.name and row["train_texts"] == 100
    assert [run["seed"] for run in row["runs"]] == [0, 1]
    for run in row["runs"]:
        assert 0 <= run["fp32_accuracy"] <= 100 and 0 <= run["int8_accuracy"] <= 100
        assert 0 <= run["prediction_agreement"] <= 1
    assert 0.9 < row["test_embedding_cosine_mean"] <= 1.0 + 1e-6
    assert int8["verdict"] in ("keep", "reject")
    assert int8["verdict"] == ("keep" if int8["fast_enough"] and int8["accurate_enough"] else "reject")
    assert "fraction" in capsys.readouterr().out
    assert not list(tmp_path.glob("labelloop-speed-*")), "temporary projects are removed"


def test_cli_bench_speed_int8_needs_data_outside_quick(tmp_path, capsys):
    assert main(["bench", "speed", "--parts", "int8", "--workdir", str(tmp_path)]) == 1
    assert "--data" in capsys.readouterr().err
