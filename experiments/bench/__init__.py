"""Speed and memory benchmarks: `python -m experiments.bench.<name>` (see each `--help`).

`benchmark` is the one command behind the README's speed table; the others measure one part
alone (`formats`, `input`, `models`, `precision`, `prepare`, `readers`, `render`, `serve`, `gpu`).
"""
