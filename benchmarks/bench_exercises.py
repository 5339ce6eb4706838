"""How long nbgrader takes to autograde one submission of each assignment.

    .venv/bin/python benchmarks/bench_exercises.py [ps01_bernoulli ps02_gaussian ...] [--students 3]

For each assignment: a temporary copy of the course, ``generate_assignment``,
``--students`` copies of the reference solution in ``submitted/``, then one
``nbgrader autograde`` run over all of them (nbgrader's Python API, as the
pipeline test does). Prints the wall time per submission: (generate_assignment
+ autograde) / students, so slightly pessimistic. The machine's load average is
printed too, since a shared machine slows kernels down several-fold.
Nothing is written into the repository.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _harness():
    spec = importlib.util.spec_from_file_location("exercise_harness", REPO / "tests" / "exercises" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("assignments", nargs="*")
    parser.add_argument("--students", type=int, default=3)
    args = parser.parse_args()
    names = args.assignments or sorted(p.name for p in (REPO / "exercises" / "source").iterdir() if p.is_dir())
    harness = _harness()
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'assignment':28s} {'per submission (s)':>20s}")
    for name in names:
        with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            old = os.getcwd()
            os.chdir(tmp)
            try:
                subs = {
                    f"s{i}": (lambda r, s, i=i: harness.fill(r, s, None, use_reference=True, student_id=f"s{i}"))
                    for i in range(args.students)
                }
                start = time.perf_counter()
                harness.run_pipeline(Path(tmp), name, subs, feedback=False)
                total = time.perf_counter() - start
            finally:
                os.chdir(old)
        print(f"{name:28s} {total / args.students:20.2f}")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
