"""shared_memory.ShareableList guarded by a Lock: 2 processes attach to it by name and each add 1 to
item k % 3 for k in 0..4, under the lock; the main process prints it, then closes and unlinks it.

Usage: shareable_list.py START_METHOD
"""

import multiprocessing
import sys
from multiprocessing.shared_memory import ShareableList

ROUNDS = 5


def add(list_name, guard):
    items = ShareableList(name=list_name)
    for k in range(ROUNDS):
        with guard:
            items[k % 3] += 1
    items.shm.close()


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    totals = ShareableList([0, 0, 0])
    guard = ctx.Lock()
    procs = [ctx.Process(target=add, args=(totals.shm.name, guard), name=f"adder-{i}") for i in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    print("totals:", [totals[i] for i in range(3)])
    totals.shm.close()
    totals.shm.unlink()
