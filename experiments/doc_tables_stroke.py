"""The docs' tables and figures of the pushed stroke models: the four kinds on one machine and
budget, distillation from the ensemble (see `experiments.doc_tables`)."""

from __future__ import annotations

from experiments.doc_tables import figure, load, markdown, table, whole
from experiments.doc_tables_studies import model_name, oriented, paired_table, results_table
from seqdoodle.reports.format import format_p, pct, points

FOUR = "compare_26_four_kinds.json"
DISTILL = "distill_26.json"


@table
def results_26_four() -> str:
    return results_table(FOUR, "the four")


@table
def paired_26_four() -> str:
    return paired_table(FOUR)


def pair_of(a: str, b: str, file: str = FOUR) -> dict:
    """The paired test of `a` against `b` in a comparison's JSON, signed as a - b."""
    for pair in load(file)["comparison"]["pairwise"]:
        if {pair["name_a"], pair["name_b"]} == {a, b}:
            _, _, diff, low, high, _, _ = oriented(pair, a)
            return {"diff": diff, "low": low, "high": high, **pair["mcnemar"]}
    raise KeyError(f"{file}: no pair {a} / {b}")


def versus_cnn(file: str) -> str:
    p = pair_of("transformer", "cnn", file)
    test = (
        f"Holm p {format_p(p['p_holm'])}"
        if "p_holm" in p
        else f"McNemar p {format_p(p['p_value'])}"
    )
    return (
        f"{points(p['diff'])} points against the CNN (95% interval {points(p['low'])} to "
        f"{points(p['high'])}, {test})"
    )


@figure
def transformer_vs_cnn_26() -> str:
    return versus_cnn(FOUR)


@figure
def four_kinds_budget() -> str:
    data = load(FOUR)
    minutes = data["settings"]["time_limit"]
    return f"{minutes:g} minutes of training a model on {data['machine']['cores']} cores"


@table
def distill_26() -> str:
    data = load(DISTILL)
    best = data["best_single"]

    def row(name: str, record: dict, versus: dict | None) -> list[str]:
        test = record["test"]
        cells = [name, pct(test["top1"]), pct(test["top3"]), f"{test['map3']:.3f}"]
        if versus is None:
            cells += ["", "", ""]
        else:
            low, high = versus["ci95"]
            cells += [points(versus["diff"]), f"{points(low)} to {points(high)}"]
            cells.append(format_p(versus["p_mcnemar"]))
        return [*cells, whole(record["n_params"])]

    rows = [row(model_name(k), r, None) for k, r in data["singles"].items()]
    for kind, r in data["students"].items():
        rows.append(row(f"{model_name(kind)} taught by the ensemble", r, r["vs_best_single"]))
    teacher = data["teacher"]
    weights = " / ".join(f"{teacher['weights'][m]:.2f}" for m in teacher["members"])
    members = ", ".join(teacher["members"])
    rows.append(row(f"the teacher: ensemble of {members} ({weights})", teacher, None))
    header = [
        "model",
        "test top-1",
        "top-3",
        "MAP@3",
        f"top-1 minus `{best}` (points)",
        "95% bootstrap CI",
        "exact McNemar p",
        "parameters",
    ]
    return markdown(header, rows, DISTILL)


@figure
def distill_gain_26() -> str:
    data = load(DISTILL)
    kind, r = next(iter(data["students"].items()))
    gap = -r["vs_teacher"]["diff"]
    return (
        f"the `{kind}` student is {points(r['vs_best_single']['diff'])} points against the best "
        f"single model (`{data['best_single']}`) and {100 * gap:.1f} below its teacher"
    )


@figure
def distill_in_budget_26() -> str:
    inside, outside = load("distill_26_in_budget.json"), load(DISTILL)
    kind, r = next(iter(inside["students"].items()))
    t = r["training"]
    return (
        f"{t['epochs_run']} epochs instead of {outside['students'][kind]['training']['epochs_run']}"
        f" and {points(r['vs_best_single']['diff'])} points against `{inside['best_single']}` "
        f"(95% interval {points(r['vs_best_single']['ci95'][0])} to "
        f"{points(r['vs_best_single']['ci95'][1])})"
    )


@figure
def distill_teacher_seconds_26() -> str:
    kind, r = next(iter(load(DISTILL)["students"].items()))
    return f"{r['training']['teacher_seconds_outside_limit'] / 60:.1f} minutes"


def _epoch_seconds(file: str, kind: str) -> float:
    t = load(file)["training"][kind]
    return t["seconds"] / t["epochs_run"]


@figure
def machine_speed_26() -> str:
    here = {k: _epoch_seconds(FOUR, k) for k in ("rnn", "cnn")}
    there = {k: _epoch_seconds("compare_26_defaults.json", k) for k in ("rnn", "cnn")}
    return (
        f"a training epoch of the stroke model on the 26 classes took {here['rnn']:.0f} s on the "
        f"slower machine and {there['rnn']:.1f} s on the faster one "
        f"({here['rnn'] / there['rnn']:.1f}x), one of the CNN {here['cnn']:.0f} s and "
        f"{there['cnn']:.0f} s ({here['cnn'] / there['cnn']:.1f}x)"
    )


@figure
def ensemble_gain_26_four() -> str:
    models = load(FOUR)["models"]
    best = max((k for k in models if k != "ensemble"), key=lambda k: models[k]["top1"])
    gain = models["ensemble"]["top1"] - models[best]["top1"]
    return f"{points(gain)} points above the best single model (`{best}`)"


TUNING = "transformer_archs.json"


@table
def transformer_archs() -> str:
    data = load(TUNING)
    minutes = {r["time_limit_min"] for r in data["archs"].values()}
    rows = []
    for arch, r in sorted(data["archs"].items(), key=lambda kv: -kv[1]["best_val_top1"]):
        preset = r["preset"]
        stem = " + ".join(f"k{k}/s{s}" for k, s in zip(preset["stem_kernels"],
                                                         preset["stem_strides"]))  # fmt: skip
        rows.append([
            f"`{arch}`",
            stem,
            f"{preset['blocks']} x {preset['dim']}",
            whole(r["train_samples_per_s"]),
            f"{r['epochs_run']} (best {r['best_epoch']})",
            pct(r["best_val_top1"]),
        ])  # fmt: skip
    header = [
        "preset",
        "stem (kernel/stride)",
        "blocks x width",
        "training drawings/s",
        f"epochs in {' / '.join(f'{m:g}' for m in sorted(minutes))} min",
        "best validation top-1",
    ]
    return markdown(header, rows, TUNING)


@figure
def transformer_tuning_gain() -> str:
    archs = load(TUNING)["archs"]
    new, old = archs["default"], archs["stride2"]
    return (
        f"{points(new['best_val_top1'] - old['best_val_top1'])} points of validation top-1 "
        f"({pct(new['best_val_top1'])} in {new['epochs_run']} epochs against "
        f"{pct(old['best_val_top1'])} in {old['epochs_run']})"
    )


@figure
def transformer_per_epoch() -> str:
    archs = load(TUNING)["archs"]
    new, old = archs["default"]["val_top1_by_epoch"], archs["stride2"]["val_top1_by_epoch"]
    n = min(5, len(new), len(old))
    return f"{pct(new[n - 1])} against {pct(old[n - 1])} after {n} epochs"


TUNED = "compare_26_transformer.json"


@figure
def transformer_tuned_vs_cnn_26() -> str:
    data = load(TUNED)
    top1 = {k: data["models"][k]["top1"] for k in ("transformer", "cnn")}
    return (
        f"{pct(top1['transformer'])} top-1 against the CNN's {pct(top1['cnn'])}: "
        f"{versus_cnn(TUNED)}"
    )


@table
def results_26_transformer() -> str:
    return results_table(TUNED, "the two")
