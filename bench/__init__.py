"""Benchmarks of what responders feel (`python -m bench`): not part of the test suite."""
