"""Fixture writers for Kaggle CSV, Google's binary format and sketch-rnn `.npz`, written from the
formats' specifications with the standard library and NumPy only (never with seqdoodle's writers),
so reader tests do not check the code against itself."""

from __future__ import annotations

import io
import json
import pickle
import struct
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

KAGGLE_TRAIN = ("countrycode", "drawing", "key_id", "recognized", "timestamp", "word")
KAGGLE_TEST = ("key_id", "countrycode", "drawing")


def _csv_field(value) -> str:
    text = str(value)
    if any(ch in text for ch in ',"\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def kaggle_csv(path: Path, records: list[dict], test: bool = False) -> Path:
    """Kaggle's layout: header line, then one line per drawing, `drawing` as a JSON string."""
    columns = KAGGLE_TEST if test else KAGGLE_TRAIN
    lines = [",".join(columns)]
    for r in records:
        values = {
            "countrycode": r.get("countrycode") or "",
            "drawing": json.dumps(r["drawing"]),
            "key_id": r.get("key_id") or "",
            "recognized": {True: "True", False: "False"}.get(r.get("recognized"), ""),
            "timestamp": r.get("timestamp") or "",
            "word": r.get("word", ""),
        }
        lines.append(",".join(_csv_field(values[c]) for c in columns))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def seconds(timestamp: str) -> int:
    """Google's ndjson `2017-03-02 23:25:10.07453 UTC` as whole seconds since 1970."""
    when = datetime.strptime(timestamp[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    return int(when.timestamp())


def binary_record(r: dict) -> bytes:
    """key_id uint64, countrycode 2 bytes, recognized int8, timestamp uint32, n_strokes uint16,
    then per stroke n_points uint16, x uint8[n], y uint8[n]; little endian."""
    out = struct.pack(
        "<Q2sbIH",
        int(r["key_id"]),
        r["countrycode"].encode("ascii"),
        1 if r["recognized"] else 0,
        seconds(r["timestamp"]),
        len(r["drawing"]),
    )
    for xs, ys, *_ in r["drawing"]:
        out += struct.pack("<H", len(xs)) + bytes(xs) + bytes(ys)
    return out


def binary_file(path: Path, records: list[dict]) -> Path:
    path.write_bytes(b"".join(binary_record(r) for r in records))
    return path


def stroke3(drawing: list) -> np.ndarray:
    """Strokes -> (n, 3) int16 [dx, dy, pen_lifted], the first row relative to (0, 0)."""
    rows, last = [], (0, 0)
    for xs, ys, *_ in drawing:
        for i, (x, y) in enumerate(zip(xs, ys)):
            rows.append((x - last[0], y - last[1], 1 if i == len(xs) - 1 else 0))
            last = (x, y)
    return np.array(rows, dtype=np.int16)


def object_array(items) -> np.ndarray:
    array = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        array[i] = item
    return array


def sketchrnn_file(path: Path, splits: dict[str, list]) -> Path:
    """magenta's layout: `train`, `valid`, `test` object arrays of stroke-3 int16 arrays."""
    arrays = {name: object_array(splits.get(name, [])) for name in ("train", "valid", "test")}
    np.savez(path, **arrays)
    return path


def npz_with_pickle(path: Path, members: dict[str, bytes], n: int = 1) -> Path:
    """An .npz whose members are an object-array .npy header (`n` items) and a given pickle."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, payload in members.items():
            buffer = io.BytesIO()
            header = {"descr": "|O", "fortran_order": False, "shape": (n,)}
            np.lib.format.write_array_header_1_0(buffer, header)
            zf.writestr(name, buffer.getvalue() + payload)
    return path


def protocol2_pickle(items) -> bytes:
    """An object array pickled at protocol 2 (bytes go through `_codecs.encode`, as old files)."""
    return pickle.dumps(object_array(items), protocol=2)
