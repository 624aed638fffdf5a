"""Threads or processes? The same CPU-bound job, run by two threads and then by two processes.

Threads share one interpreter and its GIL: only one runs Python code at a time. Processes each have
their own, so on two cores they really run at once.
"""

import multiprocessing
import threading
import time


def count(n):
    while n:
        n -= 1


def timed(kind, workers):
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(f"{kind}: {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    N = 10_000_000
    timed("2 threads", [threading.Thread(target=count, args=(N,)) for _ in range(2)])
    timed("2 processes", [multiprocessing.Process(target=count, args=(N,)) for _ in range(2)])
