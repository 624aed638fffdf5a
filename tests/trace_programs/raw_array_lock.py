"""A RawArray guarded by a Lock: 3 processes each add 1 to one cell 4 times (cell i % 3), each addition
under the lock. Prints the array.

Usage: raw_array_lock.py START_METHOD
"""

import multiprocessing
import sys

ROUNDS = 4


def add(cells, guard):
    for i in range(ROUNDS):
        with guard:
            cells[i % 3] += 1


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    cells = ctx.RawArray("i", 3)
    guard = ctx.Lock()
    procs = [ctx.Process(target=add, args=(cells, guard), name=f"adder-{i}") for i in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    print("cells:", list(cells))
