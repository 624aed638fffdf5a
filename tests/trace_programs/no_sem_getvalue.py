"""A Lock and a Semaphore(2) shared by 3 workers, on a SemLock that cannot tell its value, as on macOS
(no sem_getvalue(): SemLock._get_value() raises NotImplementedError there). Linux is made to look like
that here, at import, so in every process: spawn and forkserver children import this module again
before they unpickle the locks they are given.

Usage: no_sem_getvalue.py START_METHOD
"""

import _multiprocessing
import multiprocessing
import sys
import time


class NoValueSemLock(_multiprocessing.SemLock):
    def _get_value(self):
        raise NotImplementedError("no sem_getvalue() here, as on macOS")


_multiprocessing.SemLock = NoValueSemLock  # multiprocessing.synchronize makes and rebuilds them through it

WORKERS = 3


def work(lock, slots, total):
    with slots:
        time.sleep(0.02)
    with lock:
        total.value += 1


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    lock = ctx.Lock()
    slots = ctx.Semaphore(2)
    total = ctx.Value("i", 0, lock=False)
    procs = [ctx.Process(target=work, args=(lock, slots, total), name=f"worker-{i}") for i in range(WORKERS)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    try:
        slots.get_value()
    except NotImplementedError:
        print("no sem_getvalue, total:", total.value)
