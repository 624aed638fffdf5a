"""sharedctypes.synchronized() around a RawValue: 3 processes each add 1 to it 4 times under its own
lock (`with total.get_lock():`).

Usage: synchronized_raw.py START_METHOD
"""

import multiprocessing
import sys
from multiprocessing import sharedctypes

ROUNDS = 4


def add(total):
    for _ in range(ROUNDS):
        with total.get_lock():
            total.value += 1


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    total = sharedctypes.synchronized(sharedctypes.RawValue("i", 0), ctx=ctx)
    procs = [ctx.Process(target=add, args=(total,), name=f"adder-{i}") for i in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    print("total:", total.value)
