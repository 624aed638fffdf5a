"""Value(..., lock=False), guarded by a Lock of the program's own: 2 processes each add 1.5 to it 3
times, under the lock.

Usage: value_nolock.py START_METHOD
"""

import multiprocessing
import sys

ROUNDS = 3


def add(total, guard):
    for _ in range(ROUNDS):
        guard.acquire()
        try:
            total.value = total.value + 1.5
        finally:
            guard.release()


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    total = multiprocessing.Value("d", 0.0, lock=False)
    guard = multiprocessing.Lock()
    procs = [multiprocessing.Process(target=add, args=(total, guard), name=f"adder-{i}") for i in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    print("total:", total.value)
