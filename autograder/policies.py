"""Reference-use policies: what each function a student writes may not reach while it is graded.

An assignment declares its policy in its source notebook's metadata (set by its
authoring script through ``exercises/authoring/nbbuild.py``)::

    {"autograder": {"forbidden": {"mle": ["mlekit.families", "mlekit.fit", "statsmodels.*",
                                          "scipy.stats._continuous_distns:gamma_gen"], ...}}}

A *target* is one of

- ``"pkg.module"``: every function defined in that module's file;
- ``"pkg.*"``: every module of a package;
- ``"pkg.module:Class"``: every function defined in that class's body;
- ``"pkg.module:function"`` or ``"pkg.module:Class.method"``: that function.

While a graded call of ``mle`` runs in the sandbox, executing any code of a
target fails the call with ``ReferenceUsed`` naming the target, by whatever
route the code was reached (:mod:`autograder._guard`). A grading run refuses
to start when a target does not exist (a renamed module must not silently
disable the policy). Every notebook of the assignment may declare functions;
the declarations are merged.
"""

from __future__ import annotations

import json
import os


def policy_for(assignment: str, source_dir: str) -> dict:
    """{"forbidden": {function: [targets]}, "reference_names": [names the static scan reports]}."""
    forbidden: dict = {}
    for name in sorted(os.listdir(source_dir)):
        if name.endswith(".ipynb"):
            with open(os.path.join(source_dir, name), encoding="utf-8") as fh:
                meta = json.load(fh).get("metadata", {}).get("autograder", {})
            for fn, targets in (meta.get("forbidden") or {}).items():
                forbidden.setdefault(fn, [])
                forbidden[fn] += [t for t in targets if t not in forbidden[fn]]
    names = set(forbidden)
    for targets in forbidden.values():
        for target in targets:
            module, _, qualname = target.partition(":")
            names.add((qualname or module.rstrip(".*")).split(".")[-1])
    return {"forbidden": forbidden, "reference_names": sorted(n for n in names if n)}
