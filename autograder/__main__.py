"""``python -m autograder grade ASSIGNMENT --course exercises --workers 2`` (see README.md).

Exit status of ``grade``: 0 when every notebook was graded and the grader met no
failure of its own; 1 when any notebook could not be graded, a grader error
occurred (even one that a retry fixed), or the canary failed; 2 when the course
cannot be graded as it is (nothing was written). The last lines say which
notebooks, why, and what to do.
"""

from __future__ import annotations

import argparse
import sys

from .course import CanaryFailed, CourseError, Options, export, grade


def _summary(rows, assignment: str) -> int:
    bad = [r for r in rows if r["status"] != "graded"]
    students = {r["student"] for r in rows}
    print(f"graded {len(rows) - len(bad)} notebook(s) of {len(students)} student(s); {len(bad)} could not be graded"
          + (f"; isolation: {rows.isolation}" if rows.isolation else ""))
    if rows.canary_seconds:
        print(f"canary: the reference solution got full marks and the blank release none "
              f"({rows.canary_seconds:.1f} s)")
    if rows.granted:
        print("fallback isolation: the sandbox group could traverse (not list or read) "
              f"{', '.join(rows.granted)} during the run; the original ACLs are restored")
    for student, why in rows.skipped:
        print(f"  skipped {student}: {why}")
    if rows.retried:
        print(f"{len(rows.retried)} grader error(s) occurred; each notebook was graded again from scratch:")
        for job, reason in rows.retried:
            print(f"  {job['student']}/{job['notebook']}: {reason}")
    for r in bad:
        print(f"  UNGRADABLE {r['student']}/{r['notebook']}: {r['reason']}")
    if bad or rows.retried:
        print("What to do: ungradable notebooks have no score in the gradebook (flagged, waiting for a human); "
              "autograder_report.csv has the reason of each. After fixing the cause, grade them again with "
              f"`python -m autograder grade {assignment} --student ID`. Grader errors that a retry fixed are "
              "listed above so that a machine that fails often is noticed.")
        return 1
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("grade", help="autograde every submission of an assignment")
    g.add_argument("assignment")
    g.add_argument("--course", default="exercises", help="the course folder (holds nbgrader_config.py, source/)")
    g.add_argument("--workers", type=int, default=2)
    g.add_argument("--student", action="append", help="grade only this student (repeatable)")
    g.add_argument("--call-timeout", type=float, default=10.0, help="seconds per call of a student's function")
    g.add_argument("--cell-timeout", type=float, default=30.0, help="seconds per student cell")
    g.add_argument("--budget", type=float, default=240.0, help="seconds per submission in total")
    g.add_argument("--memory-mb", type=int, default=2048, help="memory of one sandbox (all its processes)")
    g.add_argument("--no-canary", action="store_true",
                   help="do not grade the reference solution and the blank release first")
    g.add_argument("--no-progress", action="store_true")
    e = sub.add_parser("export", help="scores plus 'could not be graded, and why'")
    e.add_argument("--course", default="exercises")
    e.add_argument("--to", default=None, help="the CSV file to write (default: <course>/grades.csv)")
    f = sub.add_parser("feedback", help="HTML feedback without hidden tests")
    f.add_argument("assignment")
    f.add_argument("--course", default="exercises")
    args = parser.parse_args(argv)
    try:
        if args.command == "grade":
            rows = grade(args.course, args.assignment, Options(
                workers=args.workers, call_timeout=args.call_timeout, cell_timeout=args.cell_timeout,
                budget=args.budget, limits={"memory_mb": args.memory_mb}, students=args.student,
                progress=not args.no_progress, canary=not args.no_canary))
            return _summary(rows, args.assignment)
        if args.command == "export":
            rows = export(args.course, args.to)
            print(f"wrote {len(rows)} row(s) to {args.to or 'grades.csv in the course folder'}")
            return 0
        if args.command == "feedback":
            from .feedback import generate

            paths = generate(args.course, args.assignment)
            print(f"wrote {len(paths)} feedback file(s)")
            return 0
    except CourseError as exc:
        print(f"autograder: {exc}", file=sys.stderr)
        return 2
    except CanaryFailed as exc:
        print(f"autograder: {exc}", file=sys.stderr)
        return 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
