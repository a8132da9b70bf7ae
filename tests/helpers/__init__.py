"""Test helpers: servers and fakes the tests and benchmarks share; not part of the package."""
