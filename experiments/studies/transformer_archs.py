"""
Title: Tuning the stroke transformer within the training budget of the 26 classes
Description: Each preset of the `transformer` kind trained with the kind's defaults and the same
time limit as every kind of compare_26, on the same split; judged on the validation split only.

## Introduction

Within compare_26's 14 minutes a model is limited by its speed as much as by its design: the
first transformer (one stride-2 Conv1D stem, now the preset `stride2`) reached 74.9% validation
top-1 in 5 epochs there where the stroke model reached 83.0% in 19, and epoch for epoch the two
were close. The default now merges four points into a token with two stride-2 convolutions (as
the stroke model does), so its blocks run over half as many tokens, and has two blocks where
`deep` has three.

This study trains each `--archs` preset of the transformer kind (`seqdoodle train transformer
--arch A`, everything else the kind's defaults, `--time-limit` minutes) on compare_26's prepared
26-class split and records its epochs, training samples per second and best validation top-1.
The test split is not read: the chosen preset becomes the default, and compare_26 then scores it
on test drawings no tuning saw.

Run on a quiet machine (the limit counts wall-clock time):

    python -m experiments.studies.transformer_archs
    python -m experiments.studies.transformer_archs --archs default,small --time-limit 14

Runs go to `--work` (default `experiments/work/transformer_archs/runs/<arch>-<recipe hash>`);
rerunning skips every preset already measured with the same settings, limit, seed and data. Writes
`experiments/results/transformer_archs.json`.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from experiments.common import (  # noqa: E402
    RESULTS,
    WORK,
    argument_parser,
    command_line,
    load_average,
    portable,
    settings_of,
    write_result,
)

DEFAULT_DATA = WORK / "compare_26_defaults" / "data"

"""
## One preset, one run

Each preset is trained once, seed 0, with `seqdoodle.train`'s defaults for the kind and the time
limit: the cosine learning rate follows the epochs the limit lets it plan, and the best epoch on
the validation split is kept. A run is filed under its recipe (the preset's settings, the limit,
the seed and the dataset's manifest hash), so a preset edited later, or another dataset, is
trained afresh in a folder of its own instead of being taken for the one measured.
"""


def recipe_of(arch: str, minutes: float, seed: int, data: Path) -> dict:
    """What a measurement depends on; equal recipes give the same run."""
    from seqdoodle.fileio import sha256_file
    from seqdoodle.models.presets import TRANSFORMER_ARCHS

    return {
        "preset": TRANSFORMER_ARCHS[arch],
        "time_limit_min": minutes,
        "seed": seed,
        "data_sha256": sha256_file(data / "manifest.json"),
    }


def run_folder(work: Path, arch: str, recipe: dict) -> Path:
    """`WORK/runs/<arch>-<hash of the recipe>`."""
    digest = hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:10]
    return work / "runs" / f"{arch}-{digest}"


def train_arch(data: Path, out: Path, arch: str, minutes: float, seed: int) -> dict:
    """Train one preset (resuming an unfinished run) and return its record."""
    import seqdoodle

    run = seqdoodle.train(
        "transformer", data, out, arch=arch, seed=seed, time_limit=minutes, progress=False
    )
    summary = run.summary
    rate = summary.get("samples_per_second")
    return {
        "arch": arch,
        "epochs_run": summary["epochs_run"],
        "best_epoch": summary["best_epoch"],
        "stop_reason": summary["stop_reason"],
        "seconds": round(float(summary["seconds"]), 1),
        "best_val_top1": round(float(summary["best_val_accuracy"]), 6),
        "train_samples_per_s": None if rate is None else round(float(rate), 1),
        "time_limit_min": minutes,
        "val_top1_by_epoch": [round(float(v), 4) for v in run.history["val_accuracy"]],
    }


"""
## Choosing

The preset with the best validation top-1 is named; one seed each, so differences under about a
point (the standard error of a difference on the 6,691 validation drawings is about half a
point) are within a single run's noise, and the cheaper preset is the better default there.
"""


def main(argv=None) -> dict:
    parser = argument_parser(__file__, __doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="a prepared dataset")
    parser.add_argument("--archs", default="default,deep,stride2", help="transformer presets")
    parser.add_argument("--time-limit", type=float, default=14.0, help="minutes per preset")
    parser.add_argument("--seed", type=int, default=0, help="weights and shuffling seed")
    parser.add_argument("--work", type=Path, default=WORK / "transformer_archs")
    parser.add_argument("--name", default="transformer_archs", help="result file name")
    args = parser.parse_args(argv)
    from seqdoodle.fileio import write_json
    from seqdoodle.kinds import get_kind

    archs = [a.strip() for a in args.archs.split(",") if a.strip()]
    known = get_kind("transformer").archs
    unknown = [a for a in archs if a not in known]
    if unknown:
        parser.error(f"unknown transformer preset(s) {unknown}; known: {', '.join(known)}")
    if not (args.data / "manifest.json").is_file():
        parser.error(f"{args.data} is not a prepared dataset (run compare_26 first)")
    records = {}
    for arch in archs:
        recipe = recipe_of(arch, args.time_limit, args.seed, args.data)
        out = run_folder(args.work, arch, recipe)
        record_file = out.with_name(out.name + ".json")
        if record_file.is_file():
            records[arch] = json.loads(record_file.read_text())
            print(f"{arch}: measured before, best val {records[arch]['best_val_top1']:.4f}")
            continue
        print(f"{arch}: training ({args.time_limit:g} min) into {out} ...", flush=True)
        record = {**train_arch(args.data, out, arch, args.time_limit, args.seed), **recipe}
        record["load_average_after"] = load_average()
        record_file.parent.mkdir(parents=True, exist_ok=True)
        write_json(record_file, record)
        records[arch] = record
        print(
            f"  {record['epochs_run']} epochs, best val {record['best_val_top1']:.4f}, "
            f"{record['seconds']:.0f} s ({record['stop_reason']})",
            flush=True,
        )
    best = max(records.values(), key=lambda r: r["best_val_top1"])
    payload = {
        "what": "stroke transformer presets within the training budget; validation top-1 only",
        "data": portable(args.data.absolute()),
        "archs": records,
        "best_on_validation": best["arch"],
    }
    made_by = RESULTS / "compare_26_defaults.json"  # prepares the default --data
    requires = []
    if args.data.resolve() == DEFAULT_DATA.resolve() and made_by.is_file():
        requires = [json.loads(made_by.read_text())["command"]]
    write_result(
        args.name, payload, command_line(__file__, argv), settings_of(args), requires=requires
    )
    print(f"best on validation: {best['arch']} ({best['best_val_top1']:.4f})")
    return payload


if __name__ == "__main__":
    main()
