"""The heap of a long-running process (`backline run`), settled once start-up is done."""
from __future__ import annotations

import gc

# Collect the youngest objects after this many new ones, not Python's 700: a batch of due plan days makes
# some 30,000 containers that all live until its transaction ends, and each collection walked them again
# (a few ms of every 1,000 days). Cyclic garbage waits a little longer; the rest is freed by refcount.
YOUNG = 20_000


def settle() -> None:
    """Freeze what start-up made (flows, vocabularies, plan: they live as long as the process, so no
    collection walks them again) and collect the young generation less often."""
    gc.freeze()
    gc.set_threshold(YOUNG, *gc.get_threshold()[1:])
