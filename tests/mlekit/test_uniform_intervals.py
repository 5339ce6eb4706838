"""Uniform(a, b): exact intervals from the pivot, not Wald (the recipe breaks there)."""

import numpy as np
import pytest

import mlekit


def test_interval_is_on_the_feasible_side_of_the_extremes():
    x = [0.2, 0.9, 0.5]
    ci = mlekit.fit(mlekit.Uniform(), x).conf_int(0.95)
    # b >= max(x) and a <= min(x) for sure: a Wald interval (symmetric) would include impossible values.
    assert ci["b"][0] == 0.9 and ci["b"][1] > 0.9
    assert ci["a"][1] == 0.2 and ci["a"][0] < 0.2
    # Hand computation: n = 3, t = 0.05 ** (-1/2) - 1 = 3.4721, width 0.7 -> upper 0.9 + 2.4305 = 3.3305.
    assert ci["b"][1] == pytest.approx(0.9 + (0.05 ** -0.5 - 1) * 0.7, rel=1e-12)


@pytest.mark.parametrize("n", [2, 5, 30])
def test_exact_coverage_by_simulation(n):
    # The pivot's law P(T <= t) = 1 - (1 + t)^-(n-1) makes the coverage exactly `level` for every n;
    # 4000 seeded samples give a Monte-Carlo standard error of sqrt(.9 * .1 / 4000) = 0.0047.
    rng = np.random.default_rng(20261129 + n)
    a_true, b_true, level, reps = -1.0, 2.0, 0.9, 4000
    fam = mlekit.Uniform()
    hit_a = hit_b = 0
    for _ in range(reps):
        ci = mlekit.fit(fam, rng.uniform(a_true, b_true, size=n)).conf_int(level)
        hit_a += ci["a"][0] <= a_true <= ci["a"][1]
        hit_b += ci["b"][0] <= b_true <= ci["b"][1]
    se = np.sqrt(level * (1 - level) / reps)
    assert abs(hit_a / reps - level) < 4 * se
    assert abs(hit_b / reps - level) < 4 * se
