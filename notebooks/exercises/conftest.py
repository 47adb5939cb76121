"""The student copies here are unanswered exercises, not course chapters: nbval skips them.

tests/test_exercises.py keeps them equal to what
`mkteach exercises release exercises/ notebooks/exercises/` writes.
"""

collect_ignore_glob = ["*.ipynb"]
