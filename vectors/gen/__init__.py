"""The case builders of the vector suite: one module per group file of vectors/.

Each module has one entry point, `cases(suite)`, that adds its group's cases in the
order they appear in the file. Shared case builders live in `casebuild.py`.
"""
