"""A synthetic class of 56 submissions graded in parallel (2 workers); every score checked.

Each student gets one of 8 variants: each of the three functions is either the
instructor's solution or a typical mistake whose cost in points is fixed by
the assignment's test cells:

- log_likelihood with ``np.log`` instead of the ``0 log 0 = 0`` convention:
  right inside (0, 1), wrong at p = 0 or 1 -> fails ``a_loglik_edges`` (1 point);
- score with the wrong sign -> fails ``b_score_values`` and ``b_score_derivative`` (3 points);
- mle without input validation (``np.mean``) -> right values, but no ``ValueError``
  for empty or non-0/1 data -> fails ``c_mle_edges`` (1 point).
"""

from __future__ import annotations

import itertools
import time

from autograder.course import Options, grade

from .conftest import ASSIGNMENT, FULL, POINTS, copy_course, gradebook_scores, honest_notebook, set_solution, submit

BAD_LOGLIK = ("import numpy as np\ndef log_likelihood(p, x):\n    x = np.asarray(x, dtype=float)\n"
              "    with np.errstate(all='ignore'):\n"
              "        return float(np.sum(x * np.log(p) + (1 - x) * np.log(1 - p)))\n")
BAD_SCORE = ("import numpy as np\ndef score(p, x):\n    x = np.asarray(x, dtype=float)\n"
             "    return float(-(x.sum() / p - (x.size - x.sum()) / (1 - p)))\n")
BAD_MLE = "import numpy as np\ndef mle(x):\n    with np.errstate(all='ignore'):\n        return float(np.mean(x))\n"
VARIANTS = list(itertools.product([False, True], repeat=3))  # (bad loglik, bad score, bad mle)


def expected_failures(bad_loglik, bad_score, bad_mle):
    failing = set()
    if bad_loglik:
        failing |= {"a_loglik_edges"}
    if bad_score:
        failing |= {"b_score_values", "b_score_derivative"}
    if bad_mle:
        failing |= {"c_mle_edges"}
    return failing


def test_class_of_56_in_parallel(generated_course, tmp_path_factory):
    course = copy_course(generated_course, tmp_path_factory.mktemp("scale") / "course")
    expected = {}
    for i in range(56):
        variant = VARIANTS[i % len(VARIANTS)]
        nb = honest_notebook(course)
        for bad, gid, code in zip(variant, ("a_loglik_answer", "b_score_answer", "c_mle_answer"),
                                  (BAD_LOGLIK, BAD_SCORE, BAD_MLE)):
            if bad:
                set_solution(nb, gid, code)
        student = f"s{i:03d}"
        submit(course, student, nb)
        expected[student] = expected_failures(*variant)
    t0 = time.monotonic()
    rows = grade(str(course), ASSIGNMENT, Options(workers=2, call_timeout=5.0, progress=False))
    elapsed = time.monotonic() - t0
    print(f"\ngraded {len(rows)} submissions with 2 workers in {elapsed:.1f} s")
    scores = gradebook_scores(course)
    assert len(rows) == 56 and all(r["status"] == "graded" for r in rows)
    for student, failing in expected.items():
        want = {g: (0.0 if g in failing else float(p)) for g, p in POINTS.items()}
        assert {g: scores[student][g] for g in POINTS} == want, student
    by_student = {r["student"]: r for r in rows}
    for student, failing in expected.items():
        assert by_student[student]["score"] == FULL - sum(POINTS[g] for g in failing)
