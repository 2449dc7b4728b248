"""Dyad's benchmarks: ``python -m bench`` (``make bench``), never part of the tests."""
