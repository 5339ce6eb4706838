"""nbgrader configuration of the MLE course (course root: this folder).

Run every nbgrader command from this folder (``cd exercises``): nbgrader reads
this file from the working directory.
"""

import os

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

HERE = os.path.dirname(os.path.abspath(__file__))

# The course: source/, release/, submitted/, autograded/, feedback/ and the
# gradebook all live under this folder.
c.CourseDirectory.root = HERE
c.CourseDirectory.course_id = "mle-course"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(HERE, "gradebook.db")

# Students' notebooks run the mlekit checks on many data sets; a cell that
# takes a minute is stuck (an infinite loop in an optimizer), not slow.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True

# What students see in place of the solutions.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.ClearSolutions.enforce_metadata = True

# Hidden tests are removed from the release and put back when autograding.
c.ClearHiddenTests.begin_test_delimeter = "BEGIN HIDDEN TESTS"
c.ClearHiddenTests.end_test_delimeter = "END HIDDEN TESTS"

# Files next to the notebooks that are never released (authoring leftovers).
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]

# `nbgrader generate_feedback` shows the autograded notebook: without this it would hand every
# hidden test (fixed seeds included) to the student. HideHiddenTests shows each test cell as
# released and, for a failure inside a hidden block, "a hidden test failed" and the check's hint
# (the misconception, quoting no input); see autograder/feedback.py. The classes are named by
# their import path, so they are imported (from this repository's package, installed with
# `pip install -e .`) only by the commands that use them.
c.GenerateFeedback.preprocessors = [
    "autograder.feedback.HideHiddenTests",
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# `nbgrader autograde`: nbgrader's own sanitizing steps, with OverwriteCells replaced by a version
# that does not report every unmodified test cell with hidden tests as changed
# ("Attribute 'checksum' ... has changed!", jupyter/nbgrader#1961); real changes are still reported
# and every locked cell is still restored from the gradebook.
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "autograder.feedback.ReleasedOverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
