"""Accuracy studies, each a literate script: `python -m experiments.studies.<name>`.

Each module's docstring gives its title, what it measures and how to run it; its prose sections
explain every step. The JSON each writes to `experiments/results/` records the command that
remakes it.
"""
