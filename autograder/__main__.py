"""``python -m autograder grade ASSIGNMENT --course exercises --workers 2`` (see README.md)."""

from __future__ import annotations

import argparse
import sys

from .course import Options, export, grade


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("grade", help="autograde every submission of an assignment")
    g.add_argument("assignment")
    g.add_argument("--course", default="exercises")
    g.add_argument("--workers", type=int, default=2)
    g.add_argument("--student", action="append", help="grade only this student (repeatable)")
    g.add_argument("--call-timeout", type=float, default=10.0, help="seconds per call of a student's function")
    g.add_argument("--cell-timeout", type=float, default=30.0, help="seconds per student cell")
    g.add_argument("--budget", type=float, default=240.0, help="seconds per submission in total")
    g.add_argument("--memory-mb", type=int, default=2048)
    g.add_argument("--no-progress", action="store_true")
    e = sub.add_parser("export", help="scores plus 'could not be graded, and why'")
    e.add_argument("--course", default="exercises")
    e.add_argument("--to", default="grades.csv")
    f = sub.add_parser("feedback", help="HTML feedback without hidden tests")
    f.add_argument("assignment")
    f.add_argument("--course", default="exercises")
    args = parser.parse_args(argv)
    if args.command == "grade":
        rows = grade(args.course, args.assignment, Options(
            workers=args.workers, call_timeout=args.call_timeout, cell_timeout=args.cell_timeout,
            budget=args.budget, limits={"memory_mb": args.memory_mb}, students=args.student,
            progress=not args.no_progress))
        bad = [r for r in rows if r["status"] != "graded"]
        print(f"graded {len(rows) - len(bad)} notebook(s); {len(bad)} could not be graded")
        for r in bad:
            print(f"  {r['student']}/{r['notebook']}: {r['reason']}")
        return 0
    if args.command == "export":
        rows = export(args.course, args.to)
        print(f"wrote {len(rows)} row(s) to {args.to}")
        return 0
    if args.command == "feedback":
        from .feedback import generate

        paths = generate(args.course, args.assignment)
        print(f"wrote {len(paths)} feedback file(s)")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
