"""Synchronization: an Event starts everyone at once, a Semaphore lets at most two in at a time, and a
Barrier waits until all four are through before any goes on.
"""

import multiprocessing
import time


def worker(n, go, room, together):
    go.wait()  # until the main process says go
    with room:  # at most two inside
        print(f"worker {n} inside", flush=True)
        time.sleep(0.2)
    together.wait()  # everyone meets here
    print(f"worker {n} done", flush=True)


if __name__ == "__main__":
    go = multiprocessing.Event()
    room = multiprocessing.Semaphore(2)
    together = multiprocessing.Barrier(4)
    workers = [multiprocessing.Process(target=worker, args=(n, go, room, together)) for n in range(4)]
    for p in workers:
        p.start()
    time.sleep(0.2)
    go.set()
    for p in workers:
        p.join()
    print("all done")
