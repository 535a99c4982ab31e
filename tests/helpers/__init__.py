"""What the tests share: peers to talk to, the conformance runner's plumbing, strategies,
the spec's tables, polling. Imported as ``helpers.<module>``; tests/conftest.py (in
pytest's prepend import mode) puts tests/ on ``sys.path``, and each program here that runs
as a script does so itself."""
