"""The package layout: few top-level modules, short modules, a light import, old paths, no cycles.

The old modules' names below were read from the last release's sources (`git show 0cc056b:...`,
parsed with `ast`), so a later move cannot drop one silently.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

import seqdoodle
from seqdoodle._compat import MOVED_MODULES

PACKAGE = Path(seqdoodle.__file__).resolve().parent
MAX_TOP_LEVEL_MODULES = 6
MAX_LINES = 400
LONG_MODULES_ALLOWED = {"datasets/synthetic.py"}
HEAVY = ("tensorflow", "keras")

# The public names of each old module path in `seqdoodle._compat.MOVED_MODULES`, as the last release
# (0cc056b) had them: top-level definitions and `__all__` of `git show 0cc056b:<module>.py`.
OLD_MODULE_NAMES = {
    "seqdoodle.analysis": (
        "ClassStats GRID_PAGE KINDS N_SAMPLES RENDER_CHUNK ROWS_PAGE STROKE_KINDS TOP_COUNTRIES "
        "analyze summary_markdown"
    ),
    "seqdoodle.artifacts": (
        "CLASSES_FILE CONFIG_FILE MODEL_FILE Run check_keras_file inference_model "
        "load_keras_model load_run save_run"
    ),
    "seqdoodle.batches": (
        "Batches BitmapBatches N_BUCKETS StrokeBatches encode_stroke_rows pad_time "
        "predict_batches predict_dataset predict_drawings predict_on_batch"
    ),
    "seqdoodle.categories": "all_categories check_class parse_class_list",
    "seqdoodle.compare_figures": "WRONG_SHOWN comparison_figures training_curves",
    "seqdoodle.compare_runs": (
        "ComparedRuns LATENCY_DRAWINGS LATENCY_REPEATS QUICK compare partial_curves"
    ),
    "seqdoodle.distribute": (
        "CLUSTER_ROLES Cluster DEFAULT_PRECISION DEFAULT_STRATEGY LR_SCALING PRECISIONS Placement "
        "STRATEGIES broadcast_from_chief broadcast_json check_precision choose_strategy "
        "cluster_from_env common_steps make_strategy parse_tf_config placement precision_policy "
        "reset_seed_generators scale_for_replicas seed_state_variables shard_rows "
        "sync_model_from_chief visible_gpus"
    ),
    "seqdoodle.distribute_loop": "Distribution evaluate_local fit_distributed make_train_step",
    "seqdoodle.encoders": (
        "Augmentation BitmapEncoder SequenceFit StrokeEncoder add_classifier_head "
        "build_sequence_classifier fit_sequences lengths_to_mask pad_sequences predict_sequences"
    ),
    "seqdoodle.ensembles": (
        "DEFAULT_GRID DEFAULT_POOL EM_STEPS EM_TOLERANCE FLOOR LOSS_TOLERANCE MAX_SUBSET_MODELS "
        "POOLS check_pool ensemble_probs ensemble_subsets fit_ensemble_weight "
        "fit_ensemble_weights log_loss mix_probs pool_probs"
    ),
    "seqdoodle.images": (
        "BACKGROUND_BLOCKS DRAWING_UNITS FRAME_UNITS IMAGE_SUFFIXES LINE_UNITS MAX_SIDE "
        "OVERSAMPLE image_to_bitmap ink_map ink_to_bitmap is_image_path line_width read_grayscale"
    ),
    "seqdoodle.inference": (
        "INPUT_SUFFIXES LabelledPredictions NDJSON_SUFFIXES STREAM_BATCH STROKE_FILE_READERS "
        "STROKE_INPUTS check_inputs_for dataset_predictions expand_inputs folder_drawings "
        "folder_predictions input_size iter_inputs iter_predictions load_inputs predict "
        "top_classes"
    ),
    "seqdoodle.input_pipeline": "DEFAULT_PARALLEL batch_dataset rate",
    "seqdoodle.metrics": (
        "check_predictions confusion_matrix expected_calibration_error macro_f1 map_at_3 "
        "per_class_accuracy predicted_labels top_k_accuracy top_k_classes"
    ),
    "seqdoodle.model_comparison": (
        "Comparison ENSEMBLE POOL_TEXT SUBSET_NOTE compare_models compare_predictions"
    ),
    "seqdoodle.paired_predictions": (
        "SAVED_TEST ScoredRuns check_run_class dataset_info keep_classes load_runs run_names "
        "runs_on_dataset runs_on_folder saved_test_probs shared_dataset"
    ),
    "seqdoodle.partial": (
        "FRACTIONS MAX_STROKES TARGET_MAX dataset_drawings evaluate_partial normalize_drawing "
        "partial_drawings partial_markdown partial_section plot_partial point_prefix "
        "stroke_prefix"
    ),
    "seqdoodle.plots.data": (
        "BAR_COLOUR HIST_BINS INK_COLOUR plot_class_bars plot_class_boxes plot_drawing_sizes "
        "plot_mean_images plot_pixel_histograms plot_sample_grid plot_top_counts"
    ),
    "seqdoodle.predictions": "Predictions load_predictions save_predictions",
    "seqdoodle.preprocess": (
        "FIT_MAX_DRAWINGS StrokeFeatures bitmap_batch bitmap_config bitmap_inputs drawing_inputs "
        "fit_stroke_features is_raw stroke_batch stroke_inputs"
    ),
    "seqdoodle.sequence_data": (
        "Augmentation PAD_MULTIPLE SequenceBatches as_sequences fit_standardization pad_sequences "
        "stratified_folds"
    ),
    "seqdoodle.statistics": (
        "ALPHA HOLM_NOTE PairedComparison bootstrap_accuracy_difference compare_pair holm_adjust "
        "holm_note mcnemar_exact pairwise_comparisons per_class_best per_class_winners "
        "verdict_text"
    ),
    "seqdoodle.strokes.sequence": (
        "FLAGS MAX_TIME_DELTA NORMALIZE TRUNCATE bucket_boundaries check_point_batch "
        "drawing_to_stroke3 gather_points pad_sequences points_to_stroke3 points_to_stroke3_batch "
        "stroke3_to_drawing"
    ),
}

# Old flat modules whose path is a package now, and the packages the release had with public
# names of their own: each package still gives those names.
OLD_PACKAGE_NAMES = {
    "seqdoodle.evaluation": (
        "EvaluationReport LATENCY_KEYS RunEvaluation evaluate evaluate_predictions evaluate_run "
        "measure_latency report_from_predictions"
    ),
    "seqdoodle.export": (
        "CHECK_DRAWINGS ExportResult FORMATS RUNTIMES TOLERANCE check_drawings "
        "export_input_config export_run info_path_for input_spec raw_input_model raw_inputs "
        "stroke_scale"
    ),
    "seqdoodle.kinds": (
        "ModelKind REGISTRY TrainDefaults all_kinds choices_text get_kind kind_names"
    ),
    "seqdoodle.plots": "save_figure",
    "seqdoodle.reports": (
        "MISSING RESERVED_KEYS Section comparison_markdown count ensemble_text "
        "evaluation_markdown figure_name fmt format_p is_missing json_ready markdown_table mib "
        "model_order ms num paired_markdown pct per_class_table points predictions_table "
        "report_document save_figures seconds summary_table text_table write_report"
    ),
    "seqdoodle.sequences": (
        "Augmentation DEFAULT_AUGMENTATION LengthFeature SequenceFit TimeDifferences "
        "build_sequence_classifier fit_sequences pad_sequences predict_sequences"
    ),
}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def test_few_modules_directly_in_the_package():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= MAX_TOP_LEVEL_MODULES, f"{len(top)} modules in seqdoodle/: {top}"


def test_no_module_over_the_line_limit():
    long = {}
    for path in _modules():
        name = path.relative_to(PACKAGE).as_posix()
        n = len(path.read_text("utf-8").splitlines())
        if n > MAX_LINES and name not in LONG_MODULES_ALLOWED:
            long[name] = n
    assert not long, f"modules over {MAX_LINES} lines: {long}"
    assert len(_modules()) > 50  # the walk found the package


def _imported_after(code: str) -> list[str]:
    """The heavy modules (`HEAVY`) that `code` imports, run in a fresh interpreter."""
    script = f"{code}\nimport sys\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=PACKAGE.parent,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return ast.literal_eval(done.stdout.strip().splitlines()[-1])


def test_importing_seqdoodle_loads_no_tensorflow():
    assert _imported_after("import seqdoodle\nseqdoodle.__all__") == []
    # the check itself sees TensorFlow when something does import it
    assert "keras" in _imported_after("from seqdoodle.sequences import StrokeEncoder")


def test_cli_help_loads_no_tensorflow():
    code = """
import click
import typer
from typer.testing import CliRunner
import seqdoodle.cli
from seqdoodle.cli import app

runner = CliRunner()
assert runner.invoke(app, ["--help"]).exit_code == 0

def paths(command, prefix=()):
    yield prefix
    for name, sub in getattr(command, "commands", {}).items():
        yield from paths(sub, (*prefix, name))

commands = list(paths(typer.main.get_command(app)))
assert len(commands) > 10, commands
for path in commands:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, (path, result.output)
"""
    assert _imported_after(code) == []


def test_every_public_name_resolves():
    assert len(seqdoodle.__all__) > 10
    for name in seqdoodle.__all__:
        assert getattr(seqdoodle, name) is not None, name


@pytest.mark.parametrize(
    "package", ["strokes", "evaluation", "comparison", "runs", "export", "sequences", "plots",
                "reports"]
)  # fmt: skip
def test_package_lists_resolve_without_warnings(package):
    module = importlib.import_module(f"seqdoodle.{package}")
    assert module.__doc__ and len(module.__doc__.strip().splitlines()) >= 2
    assert module.__all__ == sorted(module.__all__) and module.__all__
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        for name in module.__all__:
            assert getattr(module, name) is not None, f"seqdoodle.{package}.{name}"
    with pytest.raises(AttributeError):
        module.no_such_name  # noqa: B018


def test_every_moved_module_is_listed_here():
    assert set(OLD_MODULE_NAMES) == set(MOVED_MODULES), (
        "add the old public names of a new MOVED_MODULES entry to OLD_MODULE_NAMES"
    )


# Names the reorganisation removed on purpose, with what replaces them.
REMOVED_NAMES = {
    "seqdoodle.compare_runs": {"QUICK": "each kind's `ModelKind.demo` (seqdoodle.kinds)"},
    "seqdoodle.paired_predictions": {"SAVED_TEST": "`RunLayout.test_predictions` (seqdoodle.runs)"},
}


@pytest.mark.parametrize("old", sorted(OLD_MODULE_NAMES))
def test_old_module_paths_import_with_a_warning_and_keep_their_names(old):
    sys.modules.pop(old, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        module = importlib.import_module(old)
    messages = [str(w.message) for w in caught if issubclass(w.category, DeprecationWarning)]
    assert any(old in m for m in messages), messages
    named = next(m for m in messages if old in m)
    assert all(new in named for new in MOVED_MODULES[old]), named
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        removed = REMOVED_NAMES.get(old, {})
        missing = [
            n for n in OLD_MODULE_NAMES[old].split() if n not in removed and not hasattr(module, n)
        ]
    assert not missing, f"{old} lost {missing}"


@pytest.mark.parametrize("old", sorted(OLD_PACKAGE_NAMES))
def test_packages_keep_the_names_of_the_last_release(old):
    package = importlib.import_module(old)
    assert hasattr(package, "__path__")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        missing = [n for n in OLD_PACKAGE_NAMES[old].split() if not hasattr(package, n)]
    assert not missing, f"{old} lost {missing}"


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, without recursion)."""
    index, low, on_stack, stack, found = {}, {}, set(), [], []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_cycle_finder_finds_cycles():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _cycles(edges) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    grimp = pytest.importorskip("grimp")
    graph = grimp.build_graph("seqdoodle", cache_dir=None, exclude_type_checking_imports=True)
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    assert len(edges) > 50
    cycles = _cycles(edges)
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)
