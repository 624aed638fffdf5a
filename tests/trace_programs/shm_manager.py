"""SharedMemoryManager: a segment and a ShareableList made through it; 2 processes receive the list
and set one item each; the manager's server unlinks both at the end of the `with`.

Usage: shm_manager.py START_METHOD
"""

import multiprocessing
import sys
from multiprocessing.managers import SharedMemoryManager


def mark(flags, k):
    flags[k] = k + 100


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    with SharedMemoryManager(ctx=ctx) as smm:
        scratch = smm.SharedMemory(size=64)
        flags = smm.ShareableList([0, 0])
        procs = [ctx.Process(target=mark, args=(flags, k), name=f"marker-{k}") for k in range(2)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        print("flags:", flags[0], flags[1])
