"""The long-lived heap out of the garbage collector's way.

A process that serves pages holds about 120,000 objects that live as long as it does: modules, the app, its
templates and schemas, locale data. Python's full (generation 2) collection walks all of them, and while it does,
every thread of the process waits: it took 86-110 ms in a worker, at a moment nobody chooses. A cold page caught
by one asked some agencies 100 ms late and was drawn before their answers came (issue 16: the time line of cold
pages showed it, with a ``gc.callbacks`` mark); warm pages had a 90-120 ms tail. ``gc.freeze()`` moves every
object alive at that moment into a permanent generation that collections skip (they are still freed by their
reference counts); a full collection then walks only what came later, in well under 5 ms.
"""

from __future__ import annotations

import gc
import threading

_lock = threading.Lock()
_frozen = False


def freeze_once() -> bool:
    """Freeze what is alive now, once per process (the first app built); True when this call did it.

    Once, so that a process that builds many apps (the test suite) does not keep freezing: cyclic garbage that is
    frozen is never collected.
    """
    global _frozen
    with _lock:
        if _frozen:
            return False
        gc.freeze()
        _frozen = True
        return True
