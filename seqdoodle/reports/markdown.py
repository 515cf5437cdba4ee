"""report.md of a comparison and the markdown of its parts, made from the report.json document."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from seqdoodle.reports.format import (
    MISSING,
    count,
    ensemble_text,
    format_p,
    markdown_table,
    mib,
    model_order,
    ms,
    num,
    pct,
    points,
    seconds,
)


def evaluation_markdown(r) -> str:
    """One model's `EvaluationReport` as markdown: a metrics table and per-class accuracies."""
    rows = [
        ["drawings", r.n],
        ["top-1", pct(r.top1)],
        ["top-3", pct(r.top3)],
        ["MAP@3", num(r.map3)],
        ["macro-F1", num(r.macro_f1)],
        ["ECE (15 bins)", num(r.ece)],
    ]
    if r.latency_ms:
        lat = r.latency_ms
        rows.append(
            ["latency batch 1, p50 / p95", f"{lat['batch1_p50']:.2f} / {ms(lat['batch1_p95'])}"]
        )
        rows.append(["latency batched, per drawing", ms(lat["batched_per_drawing"], 3)])
    if r.n_params is not None:
        rows.append(["parameters", count(r.n_params)])
    if r.saved_size_bytes is not None:
        rows.append(["saved size", mib(r.saved_size_bytes)])
    lines = [f"### {r.name}" + (f" ({r.kind})" if r.kind else ""), ""]
    lines += markdown_table(["metric", "value"], rows)
    lines += [""] + markdown_table(
        ["class", "top-1 accuracy"], [[c, pct(a)] for c, a in r.per_class.items()]
    )
    return "\n".join(lines) + "\n"


def paired_markdown(paired: Mapping) -> str:
    """A `PairedComparison.to_json()`: the verdict, the test numbers and per-class table."""
    a, b, m, bs = paired["name_a"], paired["name_b"], paired["mcnemar"], paired["bootstrap"]
    ci = round(100 * bs["ci"])
    holm = f", Holm-adjusted p = {format_p(m['p_holm'])}" if "p_holm" in m else ""
    lines = [
        f"**{paired['verdict']}**",
        "",
        f"- drawings: {paired['n']}; only {a} right: {m['b']}, only {b} right: {m['c']}; "
        f"exact McNemar p = {format_p(m['p_value'])}{holm}",
        f"- top-1 {a} - {b}: {points(bs['diff'])} points ({ci}% paired bootstrap CI "
        f"{points(bs['low'])} to {points(bs['high'])}, {bs['n_boot']} resamples)",
    ]
    weight = paired.get("ensemble_weight")
    if weight is not None:
        lines.append(
            f"- ensemble weights: {a} {weight:.2f}, {b} {1 - weight:.2f} "
            f"({paired['ensemble_weight_source']})"
        )
    wins = {a: 0, b: 0, "tie": 0}
    for row in paired["per_class"]:
        if row["winner"] in wins:
            wins[row["winner"]] += 1
    lines += [
        f"- classes won: {a} {wins[a]}, {b} {wins[b]}, tied {wins['tie']}",
        "",
        *markdown_table(
            ["class", "n", a, b, "winner"],
            [
                [r["class"], r["n"], pct(r["acc_a"]), pct(r["acc_b"]), r["winner"]]
                for r in paired["per_class"]
            ],
            "lrrrl",
        ),
    ]
    return "\n".join(lines) + "\n"


def comparison_markdown(doc: Mapping, figure_files=(), sections: Sequence = ()) -> str:
    """The text of a comparison's report.md, made from its report.json document."""
    paired = doc["paired"]
    names = model_order(doc)
    runs = [n for n in names if n in (doc.get("runs") or {})] or [
        paired["name_a"],
        paired["name_b"],
    ]
    title = " vs ".join(runs) if len(runs) <= 4 else f"{len(runs)} models"
    rows = []
    for name in names:
        r = doc["models"][name]
        lat = r.get("latency_ms") or {}
        rows.append(
            [name, pct(r["top1"]), pct(r["top3"]), num(r["map3"]), num(r["macro_f1"]),
             num(r["ece"]), ms(lat.get("batch1_p50")), count(r.get("n_params"))]
        )  # fmt: skip
    lines = [f"# {title} on {paired['n']} test drawings", ""]
    lines += markdown_table(
        ["model", "top-1", "top-3", "MAP@3", "macro-F1", "ECE", "batch-1 p50", "params"], rows
    )
    lines += ["", "## Verdict", "", paired_markdown(paired)]
    if len(doc.get("pairwise") or ()) > 1:
        lines += _pairwise_lines(doc)
    if len(((doc.get("ensembles") or {}).get("all") or {}).get("members", ())) > 2:
        lines += _ensemble_lines(doc["ensembles"])  # two models: the verdict has the weight
    if doc.get("per_class_winners") and len(runs) > 2:
        lines += _winner_lines(doc["per_class_winners"], runs)
    for section in sections:
        lines += [section.to_markdown()]
    if figure_files:
        lines += ["## Figures", ""] + [f"![{Path(f).stem}]({f})" for f in figure_files] + [""]
    if doc.get("data"):
        lines += _data_lines(doc["data"])
    if doc.get("runs"):
        lines += _run_lines(doc)
    if doc.get("timing_seconds"):
        lines += ["## Timing", "", ", ".join(f"{k} {v:.1f} s" for k, v in
                                             doc["timing_seconds"].items()), ""]  # fmt: skip
    if doc.get("notes"):
        lines += ["## Notes", ""] + [f"- {n}" for n in doc["notes"]] + [""]
    if doc.get("predictions"):
        files = ", ".join(f"`{f}`" for f in doc["predictions"].values())
        lines.append(
            f"Predictions behind every number and figure: {files} "
            "(`seqdoodle.evaluation.load_predictions`)."
        )
    return "\n".join(lines).rstrip("\n") + "\n"


def _pairwise_lines(doc) -> list[str]:
    pairs = doc["pairwise"]
    lines = ["## Every pair", ""]
    lines += markdown_table(
        ["pair", "only first right", "only second right", "top-1 difference (95% CI)",
         "McNemar p", "Holm p", "significant"],
        [
            [f"{p['name_a']} vs {p['name_b']}", p["mcnemar"]["b"], p["mcnemar"]["c"],
             f"{points(p['bootstrap']['diff'])} ({points(p['bootstrap']['low'])} to "
             f"{points(p['bootstrap']['high'])})", format_p(p["mcnemar"]["p_value"]),
             format_p(p["mcnemar"].get("p_holm")),
             "yes" if p["mcnemar"].get("p_holm", 1.0) < p["alpha"] else "no"]
            for p in pairs
        ],
        "lrrrrrl",
    )  # fmt: skip
    note = doc.get("multiple_comparisons") or {}
    if note.get("note"):
        lines += ["", note["note"]]
    return lines + [""]


def _ensemble_lines(ens: Mapping) -> list[str]:
    lines = ["## Ensembles", ""]
    for label, key in (("all runs", "all"), ("best subset", "best")):
        e = ens.get(key)
        if e:
            lines.append(
                f"- {label}: {ensemble_text(e, ens.get('pool'))}; validation log-loss "
                f"{num(e.get('val_log_loss'))}"
                f", validation top-1 {pct(e.get('val_top1'))}, test top-1 {pct(e.get('top1'))}"
            )
    if ens.get("source"):
        lines.append(f"- weights: {ens['source']}")
    pools = ens.get("pools") or {}
    if pools:
        lines.append(
            "- all runs, by pool: "
            + "; ".join(
                f"{name} validation top-1 {pct(e.get('val_top1'))}, test top-1 {pct(e.get('top1'))}"
                for name, e in pools.items()
            )
        )
    if ens.get("note"):
        lines.append(f"- {ens['note']}")
    return lines + [""]


def _winner_lines(winners, runs) -> list[str]:
    lines = ["## Per-class winners", ""]
    tally = {n: sum(r["winner"] == n for r in winners) for n in [*runs, "tie"]}
    lines.append("Classes won: " + ", ".join(f"{n} {k}" for n, k in tally.items()))
    lines.append("")
    rows = [[r["class"], r["n"], *(pct(r["acc"].get(n)) for n in runs), r["winner"]]
            for r in winners]  # fmt: skip
    return lines + markdown_table(["class", "n", *runs, "winner"], rows,
                                  "lr" + "r" * len(runs) + "l") + [""]  # fmt: skip


def _data_lines(data: Mapping) -> list[str]:
    lines = ["## Data", "", f"- {data['kind']}: `{data['path']}`, scored on: {data['split']}"]
    lines.append(f"- {len(data['classes'])} classes: {', '.join(data['classes'])}")
    counts = ", ".join(f"{k} {v}" for k, v in data.get("counts", {}).items())
    lines.append(f"- drawings: {counts}")
    if data.get("only_classes"):
        lines.append(f"- only these classes scored: {', '.join(data['only_classes'])}")
    return lines + [""]


def _run_lines(doc: Mapping) -> list[str]:
    rows = []
    for name, info in doc["runs"].items():
        t = info.get("training") or {}
        lat = info.get("latency_ms") or {}
        rows.append(
            [name, f"`{info['path']}`", info.get("arch") or MISSING, t.get("epochs_run", MISSING),
             str(t.get("stop_reason", MISSING)).replace("_", " "), seconds(t.get("seconds")),
             count(info.get("n_params")), mib(info.get("saved_size_bytes")),
             ms(lat.get("batch1_p50")), ms(lat.get("batched_per_drawing"), 3) + "/drawing"]
        )  # fmt: skip
    lines = ["## Runs", ""]
    lines += markdown_table(
        ["model", "run", "arch", "epochs", "stopped by", "training", "params", "saved",
         "batch-1 p50", "batched"],
        rows,
        "lllrlrrrrr",
    )  # fmt: skip
    latency = doc.get("latency")
    if latency:
        lines += ["", f"Latency: {latency['note']}, over {latency['drawings']} test drawings."]
    for name, info in doc["runs"].items():
        t = info.get("teacher")
        if t:
            beside = f"`{t['compared_as']}` above" if t["compared_as"] else f"`{t['teacher']}`"
            lines += ["", f"{name} is a student distilled from {beside} (T {t['temperature']:g}, "
                          f"alpha {t['alpha']:g})."]  # fmt: skip
    return lines + [""]
