"""Benchmarks: gitworktree side by side with what users would otherwise use.

Run ``python -m benchmarks`` (the full run) or ``python -m benchmarks --quick``; see
``docs/performance.md``. Timings live here, never in test assertions.
"""
