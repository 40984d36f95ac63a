"""The normal and χ² tails the regressions use (``helpers.core.tails``) are scipy.stats' own figures,
to the last bit, without importing scipy.stats."""

import subprocess
import sys

import numpy as np
from scipy import stats

from helpers.core import paths
from helpers.core.tails import chi2_upper_tail, normal_quantile, two_sided_p


def test_the_tails_are_scipy_stats_figures_bit_for_bit():
    z = np.array([-np.inf, -40.0, -8.3, -1.959963984540054, -0.5, 0.0, 1e-12, 0.5, 1.96, 8.3, 40.0, np.inf, np.nan])
    assert np.array_equal(two_sided_p(z), 2 * stats.norm.sf(np.abs(z)), equal_nan=True)
    q = np.array([0.0, 1e-300, 0.025, 0.5, 0.95, 0.975, 0.995, 1.0, np.nan])
    assert np.array_equal(normal_quantile(q), stats.norm.ppf(q), equal_nan=True)
    x = np.array([0.0, 0.3, 3.84, 12.5, 80.0, np.inf, np.nan])
    for df in (1, 2, 5, 17):
        assert np.array_equal(chi2_upper_tail(x, df), stats.chi2.sf(x, df), equal_nan=True)
    assert float(two_sided_p(1.96)) == float(2 * stats.norm.sf(1.96))  # a scalar, as the effects page passes


def test_the_regression_pages_load_without_scipy_stats():
    """Importing the effects page (determinants, remediation effect) leaves scipy.stats unimported:
    0.54 s that the kernel server would spend before the first notebook could start."""
    code = "import sys, helpers.report.effects_page; print('scipy.stats' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=paths.PROJECT_ROOT, check=True)
    assert out.stdout.strip() == "False"
