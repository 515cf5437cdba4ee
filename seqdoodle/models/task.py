"""The classification task every model kind shares: compile defaults, head surgery, freezing.

Every classifier is `backbone -> [dropout] -> Dense softmax "predictions"`
(`models.encoders.add_classifier_head`); the backbone is the layer named `"backbone"`.
Experiments compile with `compile_classifier` too, so they train exactly as `train` does.
"""

from __future__ import annotations

from seqdoodle.errors import DataFormatError

# Adam with sparse cross-entropy and accuracy; the learning rate comes from the kind's defaults.
COMPILE_DEFAULTS = {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]}
BACKBONE = "backbone"


def compile_classifier(model, lr: float):
    """Compile `model` in place as training does: Adam(`lr`), sparse cross-entropy, accuracy.

    Args:
        model: keras.Model. A classifier with a softmax output.
        lr: float. Initial learning rate (the trainer sets it per step).

    Returns:
        The same model.

    Example:
    >>> compile_classifier(model, 2e-3)  # doctest: +SKIP
    """
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(lr),
        loss=COMPILE_DEFAULTS["loss"],
        metrics=list(COMPILE_DEFAULTS["metrics"]),
    )
    return model


def replace_head(model, old_classes, new_classes):
    """Swap the final dense softmax layer of `model` for one over `new_classes`.

    The rest of the model (backbone and head dropout) is shared, not copied. Head weights of
    classes in both lists are kept, the others are freshly initialised.

    Args:
        model: keras.Model. A classifier whose last layer is a `Dense` softmax.
        old_classes: list of str. The model's classes.
        new_classes: list of str. The classes of the new head.

    Returns:
        keras.Model with output `(batch, len(new_classes))`.

    Example:
    >>> replace_head(model, ["a", "b"], ["a", "b", "c"]).output_shape  # doctest: +SKIP
    (None, 3)
    """
    import keras

    head = model.layers[-1]
    if not isinstance(head, keras.layers.Dense):
        raise DataFormatError(
            f"model {model.name}: last layer {head.name} is not a Dense head; cannot replace it"
        )
    new_head = keras.layers.Dense(
        len(new_classes), activation="softmax", dtype="float32", name=head.name
    )
    outputs = new_head(head.input)
    new_model = keras.Model(model.inputs, outputs, name=model.name)
    kernel, bias = head.get_weights()
    new_kernel, new_bias = new_head.get_weights()
    old_position = {c: i for i, c in enumerate(old_classes)}
    for j, c in enumerate(new_classes):
        if c in old_position:
            new_kernel[:, j] = kernel[:, old_position[c]]
            new_bias[j] = bias[old_position[c]]
    new_head.set_weights([new_kernel, new_bias])
    return new_model


def backbone_of(model):
    """The layer named `"backbone"` of a classifier (one-line error when there is none)."""
    try:
        return model.get_layer(BACKBONE)
    except ValueError:
        raise DataFormatError(
            f"model {model.name}: no layer named {BACKBONE!r}; cannot freeze its backbone"
        ) from None


def freeze_backbone(model):
    """Make the backbone (layer `"backbone"`) untrainable; the head stays trainable.

    Returns:
        The same model.
    """
    backbone_of(model).trainable = False
    return model
