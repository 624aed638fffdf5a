"""For watching a trace live: 2 workers put a number each on a Queue, then the main process waits
until the file GO_FILE exists (the test creates it once it has seen those events), then ends.

Usage: live_steps.py START_METHOD GO_FILE
"""

import multiprocessing
import os
import sys
import time


def work(q, n):
    q.put(n)


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    q = ctx.Queue()
    procs = [ctx.Process(target=work, args=(q, n), name=f"step-{n}") for n in range(2)]
    for p in procs:
        p.start()
    got = sorted(q.get() for _ in procs)
    for p in procs:
        p.join()
    deadline = time.monotonic() + 60
    while not os.path.exists(sys.argv[2]) and time.monotonic() < deadline:
        time.sleep(0.05)
    print("got:", got, "go:", os.path.exists(sys.argv[2]))
