"""An Array guarded by a Lock: 3 processes each add 1 to every cell 5 times, each addition under the
lock. Prints the array and exits with code 3 on purpose (so a failing exit code is compared too).

Usage: array_lock.py START_METHOD
"""

import multiprocessing
import sys

ROUNDS = 5


def add(cells, guard):
    for _ in range(ROUNDS):
        for i in range(len(cells)):
            with guard:
                cells[i] = cells[i] + 1


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    cells = ctx.Array("i", 4)
    guard = ctx.Lock()
    procs = [ctx.Process(target=add, args=(cells, guard), name=f"adder-{i}") for i in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    print("cells:", list(cells))
    sys.exit(3)
