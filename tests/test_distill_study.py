"""The distillation study (`experiments.studies.distill_26`) on the small current runs."""

from __future__ import annotations

import json

import numpy as np
import pytest


def test_the_study_scores_a_student_beside_its_teacher_and_the_runs(
    current_runs, current_dataset, tmp_path
):
    from experiments.studies import distill_26
    from seqdoodle.datasets.prepared import PreparedDataset
    from seqdoodle.runs.ensemble import load_model

    runs = tmp_path / "runs"
    runs.mkdir()
    for kind, folder in current_runs.items():
        (runs / kind).symlink_to(folder)
    work, results = tmp_path / "work", tmp_path / "results"
    distill_26.main(
        ["--runs", str(runs), "--data", str(current_dataset), "--students", "rnn",
         "--time-limit", "0.3", "--work", str(work), "--results", str(results), "--name", "d"]
    )  # fmt: skip
    saved = json.loads((results / "d.json").read_text())

    assert set(saved["singles"]) == set(current_runs)
    best = max(saved["singles"], key=lambda k: saved["singles"][k]["val"]["top1"])
    assert saved["best_single"] == best  # chosen on validation, not on test
    assert saved["teacher"]["members"] == ["cnn", "rnn", "timecnn"]
    assert sum(saved["teacher"]["weights"].values()) == pytest.approx(1.0, abs=1e-6)

    # The student was trained from the teacher the study fitted, and is scored on the same
    # test drawings as the teacher: the paired difference is the difference of the scores.
    config = json.loads((work / "students" / "rnn" / "config.json").read_text())
    assert config["distillation"]["teacher"] == str(work / "teacher")
    student = saved["students"]["rnn"]
    # The teacher's targets were cached before the student's clock started, and timed apart.
    assert student["training"]["teacher_seconds_outside_limit"] > 0
    assert (work / "students" / "rnn" / "teacher_probs.npy").is_file()
    others = {"vs_teacher": saved["teacher"], "vs_best_single": saved["singles"][best]}
    for versus, other in others.items():
        diff = student["test"]["top1"] - other["test"]["top1"]
        assert student[versus]["diff"] == pytest.approx(diff, abs=1e-6)
        low, high = student[versus]["ci95"]
        assert low <= student[versus]["diff"] <= high and 0 <= student[versus]["p_mcnemar"] <= 1

    # The teacher's test score is the ensemble folder's own prediction of the test split.
    ds = PreparedDataset(current_dataset)
    rows = ds.indices("test")
    probs = load_model(work / "teacher").predict_proba_dataset(ds, rows)
    top1 = float(np.mean(probs.argmax(1) == np.asarray(ds.labels[rows])))
    assert saved["teacher"]["test"]["top1"] == pytest.approx(top1, abs=1e-6)
    assert (results / "d.png").stat().st_size > 1000
    assert saved["command"].startswith("python -m experiments.studies.distill_26 --runs")
