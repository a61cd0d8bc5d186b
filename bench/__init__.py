"""Performance benchmark tools for skotsel (issue 9): the data generator `python -m bench.seed`."""
