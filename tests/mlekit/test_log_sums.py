"""The sufficient statistics of Gamma, Beta and LogNormal: sums of logs read in chunks.

``chunked_log_sums`` takes the log of products of 16 values where that is safe.
Reference: ``math.fsum`` of NumPy's elementwise logs (an exactly rounded sum of
correctly rounded logs), so the only error allowed is the rounding of a sum of
n terms, a few ulps of the total.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from mlekit._validation import _CHUNK, chunked_log_sums


def exact_log_sums(x):
    return math.fsum(np.log(x)), math.fsum(x), math.fsum(np.log1p(-x)) if np.all(x < 1) else None


def close(a, b):
    return abs(a - b) <= 1e-13 * max(1.0, abs(b))


@pytest.mark.parametrize("n", [1, 15, 17, _CHUNK - 1, _CHUNK + 5, 3 * _CHUNK + 33])
def test_beta_like_data_match_the_exact_sums(n):
    x = np.random.default_rng(n).beta(2.0, 5.0, n)
    L, M = chunked_log_sums(x, log1m=True)
    L_ref, _, M_ref = exact_log_sums(x)
    assert close(L, L_ref) and close(M, M_ref), (L - L_ref, M - M_ref)


def test_gamma_like_data_match_the_exact_sums():
    x = np.random.default_rng(1).gamma(0.7, 50.0, 100_000)
    L, S = chunked_log_sums(x, plain=True)
    L_ref, S_ref, _ = exact_log_sums(x)
    assert close(L, L_ref) and close(S, S_ref)


@pytest.mark.parametrize("extreme", [1e-200, 1e200, 5e-324])
def test_values_outside_the_product_range_fall_back_to_elementwise_logs(extreme):
    # Two extreme values in the same product (a chunk is viewed as 16 rows, so
    # x[i] and x[i + _CHUNK // 16] are multiplied together) would over- or underflow it.
    x = np.random.default_rng(2).gamma(2.0, 1.0, 2 * _CHUNK + 7)
    x[[_CHUNK, _CHUNK + _CHUNK // 16]] = extreme
    (L,) = chunked_log_sums(x)
    assert close(L, exact_log_sums(x)[0])


def test_values_next_to_one_fall_back_for_log1m():
    x = np.random.default_rng(3).beta(2.0, 2.0, _CHUNK + 100)
    x[5] = 1.0 - 2.0**-53  # 1 - x = 2**-53 is below the product range
    L, M = chunked_log_sums(x, log1m=True)
    L_ref, _, M_ref = exact_log_sums(x)
    assert close(L, L_ref) and close(M, M_ref)


@pytest.mark.parametrize("bad", [0.0, -0.5, np.nan, np.inf])
def test_invalid_values_give_non_finite_sums_and_no_warning(bad):
    x = np.random.default_rng(4).beta(2.0, 5.0, 1000)
    x[500] = bad
    L, M = chunked_log_sums(x, log1m=True)  # filterwarnings = error: a warning would fail here
    assert not (math.isfinite(L) and math.isfinite(M))


@pytest.mark.parametrize("bad", [1.0, 1.5])
def test_values_at_or_above_one_give_a_non_finite_log1m_sum(bad):
    x = np.random.default_rng(5).beta(2.0, 5.0, 1000)
    x[10] = bad
    _, M = chunked_log_sums(x, log1m=True)
    assert not math.isfinite(M)
