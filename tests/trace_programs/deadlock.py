"""Two processes take two Locks in opposite order, after a Barrier so that each surely holds its
first lock when it asks for the second: they deadlock, and the main process waits in join forever.

Usage: deadlock.py START_METHOD
"""

import multiprocessing
import sys


def take(first, second, barrier):
    with first:
        barrier.wait()
        with second:
            print("never reached")


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    lock_a = ctx.Lock()
    lock_b = ctx.Lock()
    barrier = ctx.Barrier(2)
    procs = [
        ctx.Process(target=take, args=(lock_a, lock_b, barrier), name="a-then-b"),
        ctx.Process(target=take, args=(lock_b, lock_a, barrier), name="b-then-a"),
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
