"""Test support shared by tests and benchmarks (not shipped): synthetic labelled data."""
