"""Tail probabilities and quantiles of the standard normal and χ² distributions, for the confidence
intervals and p-values of the regressions (``evaluate.determinants``, ``policy.remediation_effect``).

They are the ``scipy.special`` functions that ``scipy.stats``'s ``norm`` and ``chi2`` call (``ndtr``,
``ndtri``, ``chdtrc``), so the figures are the same to the last bit; importing ``scipy.stats`` took
0.54 s, and the kernel server imported it before the first notebook could start (``report.kernels``),
``scipy.special`` takes about 0.1 s.
"""

from __future__ import annotations

import numpy as np
from scipy import special


def normal_quantile(q):
    """The standard normal's ``q`` quantile (``scipy.stats.norm.ppf``); ``q`` a probability."""
    return special.ndtri(q)


def two_sided_p(z):
    """P(|Z| ≥ |z|) for a standard normal Z: the two-sided p-value of a z statistic
    (``2 * scipy.stats.norm.sf(abs(z))``)."""
    return 2 * special.ndtr(-np.abs(z))


def chi2_upper_tail(statistic, df):
    """P(X ≥ ``statistic``) for X χ² with ``df`` degrees of freedom (``scipy.stats.chi2.sf``)."""
    return special.chdtrc(df, statistic)


__all__ = ["chi2_upper_tail", "normal_quantile", "two_sided_p"]
