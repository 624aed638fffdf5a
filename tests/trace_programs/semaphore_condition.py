"""A Semaphore(2) lets at most 2 of 4 workers into a section; then each worker reports in under a
Condition and waits until the main process, once all 4 have reported, says go.

Usage: semaphore_condition.py START_METHOD
"""

import multiprocessing
import sys
import time

WORKERS = 4


def work(slots, cond, ready, go):
    with slots:
        time.sleep(0.05)
    with cond:
        ready.value += 1
        cond.notify_all()
        while not go.value:
            cond.wait()


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    slots = ctx.Semaphore(2)
    cond = ctx.Condition()
    ready = ctx.Value("i", 0, lock=False)
    go = ctx.Value("i", 0, lock=False)
    procs = [
        ctx.Process(target=work, args=(slots, cond, ready, go), name=f"worker-{i}") for i in range(WORKERS)
    ]
    for p in procs:
        p.start()
    with cond:
        while ready.value < WORKERS:
            cond.wait()
        go.value = 1
        cond.notify_all()
    for p in procs:
        p.join()
    print("ready:", ready.value, "go:", go.value)
