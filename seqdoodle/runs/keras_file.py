"""The `.keras` file of a run: saved without optimizer state, checked, loaded in safe mode only.

Loading never runs code from the file: `keras.saving.load_model(..., safe_mode=True)`, after a
check that the zip archive is complete (`check_keras_file`); every failure is one line naming the
file.
"""

from __future__ import annotations

import os
import zipfile

from seqdoodle.errors import DataFormatError


def inference_model(model):
    """The model without its optimizer: an uncompiled view that shares the layers and weights.

    Saving a compiled model stores the optimizer's state too (Adam: two slots per weight, so
    about 3x the file); Keras 3 ignores `include_optimizer` for `.keras` files. A functional
    model (all seqdoodle models are) is rebuilt over the same layers without compiling; a model
    without a symbolic input and output (e.g. subclassed) is returned as it is.

    Args:
        model: keras.Model. A model, compiled or not.

    Returns:
        keras.Model with the same inputs, outputs, layers and weights and no optimizer.

    Example:
    >>> inference_model(trained).count_params() == trained.count_params()  # doctest: +SKIP
    True
    """
    import keras

    if getattr(model, "optimizer", None) is None:
        return model
    try:
        return keras.Model(model.input, model.output, name=model.name)
    except (AttributeError, ValueError, TypeError):  # no graph to rebuild
        return model


def check_keras_file(path: str | os.PathLike) -> None:
    """Check that `path` is a complete `.keras` zip archive (without loading it).

    Args:
        path: str or PathLike. The `.keras` file.

    Raises:
        DataFormatError: not a zip archive, truncated, without `config.json` or
            `model.weights.h5`, or a member whose CRC does not match (one line naming `path`).

    Example:
    >>> check_keras_file("runs/cnn/model.keras")  # doctest: +SKIP
    """
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            missing = {"config.json", "model.weights.h5"} - names
            if missing:
                raise DataFormatError(
                    f"{path}: corrupt or truncated Keras file (lacks {', '.join(sorted(missing))})"
                )
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise DataFormatError(f"{path}: corrupt or truncated Keras file ({e})") from None
    if bad is not None:
        raise DataFormatError(f"{path}: corrupt or truncated Keras file (bad checksum of {bad})")


def load_keras_model(path: str | os.PathLike, compile: bool = False):
    """Load a `.keras` file in safe mode after `check_keras_file`; every failure is one line.

    Args:
        path: str or PathLike. The `.keras` file.
        compile: bool. Restore the compiled state (optimizer included) too, as training
            checkpoints need. Defaults to False.

    Returns:
        keras.Model.

    Raises:
        DataFormatError: a corrupt or truncated file, a model that holds code (refused, never
            run), or one Keras cannot rebuild.

    Example:
    >>> model = load_keras_model("runs/cnn/model.keras")  # doctest: +SKIP
    """
    import keras

    from seqdoodle.models import register_layers

    register_layers()  # the serializable seqdoodle layers

    check_keras_file(path)
    try:
        return keras.saving.load_model(path, compile=compile, safe_mode=True)
    except Exception as e:  # noqa: BLE001 - Keras raises many types; report one line
        text = " ".join(str(e).split())
        if "safe_mode" in text or "arbitrary code" in text:
            raise DataFormatError(
                f"{path}: refused to load: the model holds code that would run on loading "
                "(e.g. a Lambda layer); seqdoodle loads models in safe mode only"
            ) from None
        raise DataFormatError(f"{path}: cannot load the Keras model ({text[:200]})") from None
