"""Which of mlekit's functions are "the reference" of each function a student writes.

The runtime guard (``autograder/_sandbox.py``) reports a graded call of the
student's function that reaches one of these; the static scan reports
mentions of the names. An assignment declares its policy in its source
notebook's metadata, ``{"autograder": {"forbidden": {"fn": ["module:qualname", ...]}}}``;
otherwise the defaults below apply.
"""

from __future__ import annotations

import json
import os

_FAMILY_PUBLIC = ["mlekit.families:Family.logpdf", "mlekit.families:Family.loglik",
                  "mlekit.families:Family.score", "mlekit.families:Family.mle", "mlekit.fit:fit"]
_BERNOULLI_HOOKS = [f"mlekit.families:{cls}.{hook}" for cls in ("Bernoulli", "Binomial")
                    for hook in ("_logpdf", "_loglik", "_score", "_mle")]

DEFAULTS = {
    # ps01: log_likelihood, score and mle of the Bernoulli, written from scratch
    "ps01_bernoulli": {fn: _FAMILY_PUBLIC + _BERNOULLI_HOOKS for fn in ("log_likelihood", "score", "mle")},
}


def policy_for(assignment: str, source_dir: str) -> dict:
    forbidden = dict(DEFAULTS.get(assignment, {}))
    for name in sorted(os.listdir(source_dir)):
        if name.endswith(".ipynb"):
            with open(os.path.join(source_dir, name), encoding="utf-8") as fh:
                meta = json.load(fh).get("metadata", {}).get("autograder", {})
            forbidden.update(meta.get("forbidden", {}))
    names = {t.split(":")[-1].split(".")[-1] for ts in forbidden.values() for t in ts}
    return {"forbidden": forbidden, "reference_names": sorted(names)}
