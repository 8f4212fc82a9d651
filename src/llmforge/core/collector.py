"""The garbage collector, tuned for a process that holds many long streams (the server, and
the benchmarks' load generator and fake provider)."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager

MIDDLE_COLLECTIONS_PER_FULL = 100
"""Collections of the middle generation between two full ones; Python's default is 10.

A full collection walks every live object and stops every request and stream while it does:
50 ms on average, up to 110 ms, with 500 streams open in a process (docs/performance.md).
Streams live for seconds, so their objects all reach the oldest generation, and with the
default a process ran one every few seconds under load. Garbage without cycles is freed at
once either way; only cyclic garbage waits longer for its memory to come back."""


@contextmanager
def tuned_for_many_streams() -> Iterator[None]:
    """What is alive once the app has started (modules, models, routes: most of the process's
    objects) lives as long as the process: frozen, it is left out of full collections, which
    walked all of it (with 1000 streams open, the added time to first token's p99 went from
    173 ms to 28 ms). Full collections are then made ten times rarer."""
    gc.collect()
    gc.freeze()
    thresholds = gc.get_threshold()
    gc.set_threshold(*thresholds[:2], MIDDLE_COLLECTIONS_PER_FULL)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
