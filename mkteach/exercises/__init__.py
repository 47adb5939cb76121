"""The content of each exercise notebook: its seeded instances, model answers and checks.

One module per notebook in `exercises/` (ex01_rationale for ex01-rationale.ipynb, ...). The
generic machinery (checks, markup, release, sandbox, grading) is in `mkteach.grading`; these
modules use it and the public System API. The grader imports them; a student may too: nothing
here holds an answer, only the model that computes one from an instance.
"""
