"""sharedctypes.copy(): a snapshot of a RawArray in shared memory of its own. 2 processes each double
every cell of the snapshot under a Lock; the original is untouched.

Usage: copy_raw.py START_METHOD
"""

import multiprocessing
import sys
from multiprocessing import sharedctypes


def double(snapshot, guard):
    with guard:
        for i in range(len(snapshot)):
            snapshot[i] = snapshot[i] * 2


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    original = ctx.RawArray("i", [1, 2, 3])
    snapshot = sharedctypes.copy(original)
    guard = ctx.Lock()
    procs = [ctx.Process(target=double, args=(snapshot, guard), name=f"doubler-{i}") for i in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    print("original:", original[:], "snapshot:", snapshot[:])
