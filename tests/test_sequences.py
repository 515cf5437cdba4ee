"""The sequence recipe: padding, standardisation in the model, augmentation, batches, fitting."""

from __future__ import annotations

import doctest

import keras
import numpy as np
import pytest

from seqdoodle import encoders
from seqdoodle.errors import DataFormatError
from seqdoodle.sequences import data as sequence_data
from seqdoodle.sequences import recipe as sequences
from seqdoodle.sequences.data import Augmentation, SequenceBatches, stratified_folds
from seqdoodle.sequences.recipe import build_sequence_classifier, fit_sequences, pad_sequences

TINY = {
    "conv_filters": [8, 8],
    "conv_kernels": [3, 3],
    "conv_strides": [1, 1],
    "conv_dilations": [1, 2],
}


def _toy(n_per_class=12, seed=0):
    """Two classes of univariate series with many exact zeros: a rising and a falling ramp."""
    rng = np.random.default_rng(seed)
    seqs, labels = [], []
    for i in range(2 * n_per_class):
        n = int(rng.integers(10, 30))
        ramp = np.linspace(0, 1, n) * (1 if i % 2 else -1) * 3
        ramp[rng.random(n) < 0.3] = 0.0
        seqs.append(ramp[:, None])
        labels.append("up" if i % 2 else "down")
    return seqs, labels


def test_pad_sequences_pads_cuts_and_accepts_1d():
    values, lengths = pad_sequences([np.arange(3.0), np.arange(5.0)])
    assert values.shape == (2, 5, 1) and lengths.tolist() == [3, 5]
    np.testing.assert_array_equal(values[0, :, 0], [0, 1, 2, 0, 0])
    values, lengths = pad_sequences([np.ones((7, 2))], length=4)
    assert values.shape == (1, 4, 2) and lengths.tolist() == [4]
    values, lengths = pad_sequences(np.ones((3, 6, 2)))
    assert values.shape == (3, 6, 2) and lengths.tolist() == [6, 6, 6]


@pytest.mark.parametrize(
    "bad, problem",
    [
        ([np.ones((3, 2)), np.ones((4, 3))], "sequence 1: 3 features"),
        ([np.ones((0, 2))], "sequence 0: shape"),
        ([np.array([1.0, np.nan])], "NaN"),
        ([], "empty"),
    ],
)
def test_bad_sequences_name_the_problem(bad, problem):
    with pytest.raises(DataFormatError, match=problem):
        pad_sequences(bad)


def test_bad_fit_arguments():
    seqs, labels = _toy(3)
    with pytest.raises(DataFormatError, match="labels"):
        fit_sequences(seqs, labels[:-1])
    with pytest.raises(DataFormatError, match="distinct class"):
        fit_sequences(seqs, ["a"] * len(seqs))
    with pytest.raises(DataFormatError, match="validation"):
        fit_sequences(seqs, labels, validation=0.7)
    with pytest.raises(DataFormatError, match="crop"):
        Augmentation(crop=0.0)
    with pytest.raises(DataFormatError, match="n_classes"):
        build_sequence_classifier(2, 1)


def test_classifier_standardises_inside_and_ignores_padding():
    keras.utils.set_random_seed(0)
    mean, variance = np.array([2.0, -1.0]), np.array([4.0, 0.25])
    model = build_sequence_classifier(2, 3, mean, variance, arch_settings=TINY)
    plain = build_sequence_classifier(2, 3, arch_settings=TINY)
    for layer in model.layers:  # same weights, but mean 0 and variance 1
        if layer.name != "standardize" and layer.weights:
            plain.get_layer(layer.name).set_weights(layer.get_weights())
    rng = np.random.default_rng(1)
    raw = rng.normal(0, 1, (2, 12, 2)).astype("float32")
    raw[0, 3:6] = 0.0  # real all-zero steps
    n = np.array([12, 7], "int32")
    probs = model.predict([raw, n], verbose=0)
    standardised = (raw - mean) / np.sqrt(variance)
    np.testing.assert_allclose(plain.predict([standardised, n], verbose=0), probs, atol=1e-5)
    # Padding (zeros or garbage, any length) changes nothing; zeros inside a real row count.
    padded = np.concatenate([raw, np.full((2, 9, 2), 3.0, "float32")], axis=1)
    np.testing.assert_allclose(model.predict([padded, n], verbose=0), probs, atol=1e-5)
    shorter = model.predict([raw[1:, :7], n[1:]], verbose=0)
    np.testing.assert_allclose(shorter, probs[1:], atol=1e-5)
    no_zeros = raw.copy()
    no_zeros[0, 3:6] = 1e-3
    assert not np.allclose(model.predict([no_zeros, n], verbose=0)[0], probs[0], atol=1e-7)


def test_several_encoders_side_by_side():
    model = build_sequence_classifier(
        2, 3, arch=("timeseries", "timeseries_local"), arch_settings=[TINY, None]
    )
    first, second = model.get_layer("encoder_0"), model.get_layer("encoder_1")
    assert first.settings["conv_filters"] == [8, 8]
    assert second.settings["conv_kernels"] == [9, 5, 3]
    x = np.random.default_rng(0).normal(0, 1, (2, 20, 2)).astype("float32")
    n = np.array([20, 9], "int32")
    np.testing.assert_allclose(
        model.predict([x[:, :9], np.array([9, 9], "int32")], verbose=0)[1:],
        model.predict([x, n], verbose=0)[1:],
        atol=1e-5,
    )
    with pytest.raises(DataFormatError, match="arch_settings"):
        build_sequence_classifier(2, 3, arch=("timeseries",), arch_settings=[TINY, TINY])


def test_augmentation_changes_what_it_should():
    rng = np.random.default_rng(0)
    seq = rng.normal(0, 1, (50, 2)).astype("float32")
    mean, scale = np.zeros(2), np.ones(2)
    identity = Augmentation(jitter=0.0, scaling=0.0, crop=1.0, stretch=0.0)
    np.testing.assert_array_equal(identity.apply(seq, mean, scale, rng), seq)
    cropped = Augmentation(jitter=0.0, scaling=0.0, crop=0.5, stretch=0.0, p=1.0)
    lengths = {len(cropped.apply(seq, mean, scale, rng)) for _ in range(20)}
    assert min(lengths) >= 25 and max(lengths) <= 50 and len(lengths) > 3
    stretched = Augmentation(jitter=0.0, scaling=0.0, crop=1.0, stretch=0.3, p=1.0)
    lengths = {len(stretched.apply(seq, mean, scale, rng)) for _ in range(20)}
    assert min(lengths) >= 35 and max(lengths) <= 65 and len(lengths) > 3
    noisy = Augmentation(jitter=0.1, scaling=0.0, crop=1.0, stretch=0.0).apply(
        seq, mean, scale, rng
    )
    assert noisy.shape == seq.shape and 0.05 < np.std(noisy - seq) < 0.2


def test_batches_bucket_by_length_and_cover_every_row():
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 100, 40)
    seqs = [np.ones((n, 1), "float32") for n in lengths]
    y = np.arange(40) % 2
    batches = SequenceBatches(seqs, y, 2, 8, augment=Augmentation(jitter=0.0, scaling=0.0,
                              crop=1.0, stretch=0.0), seed=0)  # fmt: skip
    for _ in range(2):  # two epochs: two plans
        seen = []
        for i in range(len(batches)):
            (values, n), one_hot = batches[i]
            assert values.shape[1] % sequence_data.PAD_MULTIPLE == 0
            assert values.shape[1] - n.max() < sequence_data.PAD_MULTIPLE
            assert one_hot.shape == (len(n), 2)
            seen.extend(batches.batches[i].tolist())
            assert n.max() - n.min() < 60  # similar lengths share a batch
        assert sorted(seen) == list(range(40))
        batches.on_epoch_end()


def test_small_training_sets_get_several_passes_per_epoch():
    seqs = [np.ones((5, 1), "float32")] * 10
    augment = Augmentation(jitter=0.0, scaling=0.0, crop=1.0, stretch=0.0)
    batches = SequenceBatches(seqs, np.arange(10) % 2, 2, 4, augment=augment, min_batches=7)
    assert len(batches) == 9  # 3 passes of 3 batches
    rows = np.concatenate([batches[i][1].argmax(1) * 0 + batches.batches[i] for i in range(9)])
    assert np.bincount(rows).tolist() == [3] * 10
    assert len(SequenceBatches(seqs, np.arange(10) % 2, 2, 4, min_batches=7)) == 3  # validation


def test_stratified_folds_spread_every_class():
    y = np.array([0] * 10 + [1] * 5 + [2] * 3)
    folds = stratified_folds(y, 5, seed=0)
    for label, count in [(0, 10), (1, 5)]:
        assert np.bincount(folds[y == label], minlength=5).tolist() == [count // 5] * 5
    assert len(set(folds[y == 2])) == 3


def test_fit_sequences_learns_restores_best_and_reloads_safely(tmp_path):
    seqs, labels = _toy()
    path = tmp_path / "model.keras"
    fit = fit_sequences(seqs, labels, epochs=30, patience=10, batch_size=8, arch_settings=TINY,
                        seed=1, path=path)  # fmt: skip
    assert fit.classes == ["down", "up"]
    assert np.mean(np.array(fit.predict(seqs)) == np.array(labels)) >= 0.8
    # Standardisation fitted on the training data, stored in the model.
    steps = np.concatenate(seqs)
    np.testing.assert_allclose(
        np.ravel(fit.model.get_layer("standardize").mean), steps.mean(0), rtol=1e-5
    )
    # Lengths differ, so the log length (standardised on the training set) is a feature.
    length = fit.model.get_layer("length_feature")
    assert length.mean == pytest.approx(np.mean(np.log([len(x) for x in seqs])))
    # The restored weights are those of the lowest validation loss.
    history = fit.history[0]
    assert len(history["loss"]) >= 15  # early stopping waits for half of the epochs
    assert fit.best_epochs[0] == 15 + int(np.argmin(history["val_loss"][15:])) + 1
    held = stratified_folds(np.array([fit.classes.index(v) for v in labels]), 5, 1) == 0
    values, n = pad_sequences([s for s, h in zip(seqs, held) if h])
    y = np.eye(2)[[fit.classes.index(v) for v, h in zip(labels, held) if h]]
    loss = fit.model.evaluate([values, n], y, verbose=0, return_dict=True)["loss"]
    assert loss == pytest.approx(min(history["val_loss"][15:]), rel=1e-3)
    reloaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(
        sequences.predict_sequences(reloaded, seqs), fit.predict_proba(seqs), atol=1e-6
    )


def test_fit_sequences_ensemble_averages_members(tmp_path):
    seqs, labels = _toy(8)
    fit = fit_sequences(seqs, labels, epochs=3, ensemble=2, arch_settings=TINY, differences=True,
                        path=tmp_path / "m.keras")  # fmt: skip
    assert len(fit.best_epochs) == 2 and fit.model.name == "sequence_ensemble"
    assert fit.model.get_layer("member_0").get_layer("length_feature") is not None
    members = [fit.model.get_layer(f"member_{i}") for i in range(2)]
    values, n = pad_sequences(seqs)
    each = [m.predict([values, n], verbose=0) for m in members]
    assert not np.allclose(each[0], each[1])
    np.testing.assert_allclose(fit.predict_proba(seqs), (each[0] + each[1]) / 2, atol=1e-6)
    reloaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(reloaded.predict([values, n], verbose=0), fit.predict_proba(seqs),
                               atol=1e-6)  # fmt: skip


def test_fit_sequences_keeps_the_candidate_with_the_best_validation_accuracy():
    seqs, labels = _toy(6)
    wide = {**TINY, "conv_filters": [16, 16]}
    fit = fit_sequences(
        seqs, labels, epochs=4, ensemble=2, candidates=[("timeseries", TINY), ("timeseries", wide)]
    )
    assert len(fit.candidate_val_loss) == 2 and len(fit.candidate_val_accuracy) == 2
    ranking = [(-a, loss) for a, loss in zip(fit.candidate_val_accuracy, fit.candidate_val_loss)]
    assert fit.chosen == ranking.index(min(ranking))
    kept = [TINY, wide][fit.chosen]["conv_filters"]
    for member in ("member_0", "member_1"):
        encoder = fit.model.get_layer(member).get_layer("encoder")
        assert encoder.settings["conv_filters"] == kept


def test_public_exports_and_docstring_examples():
    assert encoders.fit_sequences is fit_sequences
    assert encoders.build_sequence_classifier is build_sequence_classifier
    for module in (sequences, sequence_data):
        results = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert results.attempted >= 1 and results.failed == 0
