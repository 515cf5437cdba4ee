"""The model-kind registry: lookups, the interface every kind keeps, and the CLI built from it."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from seqdoodle.errors import DataFormatError
from seqdoodle.kinds import (
    REGISTRY,
    all_kinds,
    get_kind,
    kind_names,
)
from seqdoodle.kinds.base import DemoSizes, ModelKind, TrainDefaults


def test_names_follow_the_registry_and_unknown_kinds_list_the_choices():
    assert kind_names() == tuple(REGISTRY) and kind_names()[:2] == ("cnn", "rnn")
    with pytest.raises(DataFormatError) as info:
        get_kind("svm")
    message = str(info.value)
    assert message.startswith("unknown model kind 'svm'; choose ") and "cnn, rnn" in message
    kind = get_kind("rnn")
    assert get_kind(kind) is kind and get_kind("rnn") is kind


@pytest.mark.parametrize("name", kind_names())
def test_every_kind_has_the_whole_interface(name):
    kind = get_kind(name)
    assert isinstance(kind, ModelKind) and kind.name == name and kind.title
    assert kind.archs and kind.archs[0] == "default" and len(set(kind.archs)) == len(kind.archs)
    assert isinstance(kind.defaults, TrainDefaults)
    d = kind.defaults
    assert d.epochs >= 1 and d.batch_size >= 1 and d.lr > 0 and d.patience >= 1
    for method in ("build_model", "fit_input_config", "batches", "drawing_inputs", "input_spec"):
        assert getattr(type(kind), method) is not getattr(ModelKind, method), method
    with pytest.raises(DataFormatError, match=f"unknown {name} arch 'nope'"):
        kind.check_arch("nope")
    assert isinstance(kind.demo, DemoSizes) and isinstance(kind.compared_by_default, bool)
    assert kind.input_size(None) >= 8  # images for a run without a saved input config


def test_defaults_are_the_documented_ones():
    assert get_kind("cnn").defaults.as_dict() == {
        "epochs": 20, "batch_size": 256, "lr": 2e-3, "patience": 3, "dropout": 0.3,
    }  # fmt: skip
    assert get_kind("rnn").defaults.epochs == 30 and get_kind("rnn").defaults.patience == 5
    assert get_kind("rnn").needs_strokes and not get_kind("cnn").needs_strokes
    assert get_kind("cnn").demo == DemoSizes(epochs=8, time_limit=1.6)
    assert get_kind("rnn").demo == DemoSizes(epochs=15, time_limit=1.3)


def test_reading_the_registry_loads_no_tensorflow():
    code = (
        "import sys, seqdoodle.cli, seqdoodle.kinds as k; k.all_kinds(); "
        "print('keras' in sys.modules or 'tensorflow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_train_commands_come_from_the_registry():
    from seqdoodle.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["train", "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for kind in all_kinds():
        assert f"train {kind.name}" in result.output
        sub = runner.invoke(app, ["train", kind.name, "--help"], env={"COLUMNS": "200"})
        assert sub.exit_code == 0, sub.output
        assert f"default {kind.defaults.epochs})" in sub.output  # --epochs help
        for arch in kind.archs:
            assert arch in sub.output


def test_input_specs_name_the_documented_raw_inputs():
    from seqdoodle.kinds.inputs import StrokeFeatures, bitmap_config

    cnn = get_kind("cnn").input_spec(bitmap_config(28))
    assert cnn["shape"] == [None, 28, 28, 1] and cnn["dtype"] == "float32"
    assert cnn["how"].startswith("render_bitmap(")
    rnn = get_kind("rnn").input_spec(StrokeFeatures(scale_in_model=True).to_config())
    assert rnn["shape"] == [None, None, 3] and rnn["how"].startswith("drawing_to_stroke3(")
    assert "divided" not in rnn["how"]
    old = get_kind("rnn").input_spec(StrokeFeatures(scale=(0.5, 0.25)).to_config())
    assert "divided by [0.5, 0.25]" in old["how"]


def test_stroke_prediction_order_is_by_length():
    from seqdoodle.datasets.records import Drawing

    drawings = [Drawing("a", strokes=[[list(range(n)), list(range(n))]]) for n in (9, 2, 5)]
    np.testing.assert_array_equal(get_kind("rnn").prediction_order(drawings), [1, 2, 0])
    np.testing.assert_array_equal(get_kind("cnn").prediction_order(drawings), [0, 1, 2])
