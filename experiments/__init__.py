"""The project's experiments: speed and memory benchmarks, and accuracy studies.

- `experiments.bench`: benchmarks (how fast, how much memory), e.g.
  `python -m experiments.bench.benchmark --quick`.
- `experiments.studies`: accuracy studies, each a literate script, e.g.
  `python -m experiments.studies.compare_26`.
- `experiments.common`: what they share (the real-data subset, peak memory, the load average,
  the machine, writing a result with the command that remakes it).
- `experiments/results/`: the committed JSON behind every figure in the README and docs.

Run every module from the repository root with `python -m`; the real data is read from
`../shared/quickdraw` beside the checkout, and work folders go to `experiments/work/` (ignored).
"""
