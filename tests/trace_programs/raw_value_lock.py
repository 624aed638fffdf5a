"""A RawValue counter guarded by a Lock: 4 processes each add 1 to it 5 times, under the lock.

Usage: raw_value_lock.py START_METHOD
"""

import multiprocessing
import sys
from multiprocessing.sharedctypes import RawValue

ROUNDS = 5


def add(counter, guard):
    for _ in range(ROUNDS):
        with guard:
            counter.value += 1


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    counter = RawValue("i", 0)
    guard = ctx.Lock()
    procs = [ctx.Process(target=add, args=(counter, guard), name=f"adder-{i}") for i in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    print("counter:", counter.value)
