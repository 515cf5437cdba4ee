"""Every matplotlib figure. Functions take `ax=None` (or `fig=None`) and return the Figure.

`plots.data` draws data figures (sample grids, histograms, mean images), `plots.training` learning
curves, `plots.evaluation` confusion matrices, per-class bars and wrong-prediction grids.
"""

import matplotlib

matplotlib.use("Agg")
