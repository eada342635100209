"""labelloop bench multilabel: a smoke run on a tiny multi-label corpus with the tiny local BERT, and its summary."""

from __future__ import annotations

import json

from annotator.cli import main
from benchmarks.multi_label import markdown_table, summarize


def _multi_label_folder(tmp_path):
    """The tiny four-topic corpus with a second label ``question`` on the texts that ask something."""
    from benchmarks.tiny_bert import tiny_corpus

    folder = tmp_path / "toy-ml"
    folder.mkdir()
    rows, seen = [], set()
    for text, topic in tiny_corpus(260, seed=2):
        if text not in seen:
            seen.add(text)
            rows.append({"text": text, "labels": [topic] + (["question"] if text.endswith("?") else [])})
    for name, part in (("train.jsonl", rows[:200]), ("test.jsonl", rows[200:])):
        (folder / name).write_text("".join(json.dumps(row) + "\n" for row in part), encoding="utf-8")
    return folder


def test_bench_multilabel_writes_curves_with_micro_f1(tmp_path, tiny_model_dir, capsys):
    out = tmp_path / "ml.json"
    code = main(["bench", "multilabel", "--data", str(_multi_label_folder(tmp_path)), "--model", str(tiny_model_dir),
                 "--pool", "120", "--budget", "50", "--batch", "25", "--strategies", "margin,random",
                 "--seeds", "0,1", "--cache", str(tmp_path / "cache"), "--json", str(out)])
    assert code == 0
    result = json.loads(out.read_text())
    assert [run["strategy"] for run in result["runs"]] == ["margin", "margin", "random", "random"]
    point = result["runs"][0]["curve"][-1]
    assert point["labels"] == 50 and set(point) == {"labels", "micro_f1", "macro_f1", "subset_accuracy",
                                                     "hamming_loss"}
    assert "question" in result["labels"] and "| margin |" in capsys.readouterr().out
    assert list((tmp_path / "cache").glob("vectors_*.npy"))  # embedded once, reused by a second run


def test_the_dev_split_scores_on_dev_jsonl_and_never_reads_test(tmp_path, tiny_model_dir, capsys):
    folder = _multi_label_folder(tmp_path)
    (folder / "test.jsonl").rename(folder / "dev.jsonl")
    out = tmp_path / "ml.json"
    common = ["bench", "multilabel", "--data", str(folder), "--model", str(tiny_model_dir), "--pool", "120",
              "--budget", "50", "--batch", "25", "--strategies", "random", "--cache", str(tmp_path / "cache")]
    assert main([*common, "--split", "dev", "--json", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["split"] == "dev" and result["test"] == len((folder / "dev.jsonl").read_text().splitlines())
    assert main(common) == 1  # no test.jsonl: one line, nothing run
    assert "no test.jsonl to score on" in capsys.readouterr().err


def test_summary_is_mean_and_spread_over_seeds_at_each_checkpoint():
    point = lambda labels, f1: {"labels": labels, "micro_f1": f1, "macro_f1": f1, "subset_accuracy": f1}  # noqa: E731
    runs = [{"strategy": "margin", "seed": s, "curve": [point(100, f1), point(200, f1 + 0.1)]}
            for s, f1 in ((0, 0.2), (1, 0.4))]
    summary = summarize(runs, checkpoints=(100, 200, 500))
    assert summary["margin"][100]["macro_f1"] == {"mean": 0.3, "sd": 0.1414}
    assert 500 not in summary["margin"]
    assert "0.300 ± 0.141" in markdown_table({"summary": summary})


def test_bad_options_are_one_line_errors(tmp_path, capsys):
    assert main(["bench", "multilabel", "--data", str(tmp_path), "--strategies", "margn"]) != 0
    assert "unknown strategy 'margn'" in capsys.readouterr().err
    assert main(["bench", "multilabel", "--data", str(tmp_path), "--seeds", "x"]) != 0
    assert "--seeds: expected a comma list" in capsys.readouterr().err


def test_bench_curves_runs_a_multi_label_dataset_through_simulate(tmp_path):
    out = tmp_path / "curves.json"
    code = main(["bench", "curves", "--quick", "--data", str(_multi_label_folder(tmp_path)), "--strategies",
                 "margin,random", "--fast-only", "--budget", "20", "--batch", "10", "--json", str(out),
                 "--workdir", str(tmp_path)])
    assert code == 0
    runs = json.loads(out.read_text())["datasets"]["toy-ml"]["runs"]
    assert sorted(run["strategy"] for run in runs) == ["margin", "random"]
    assert {"micro_f1", "macro_f1", "subset_accuracy"} <= set(runs[0]["curve"][-1])
