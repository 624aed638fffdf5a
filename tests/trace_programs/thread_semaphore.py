"""threading.Semaphore(2) and BoundedSemaphore(1): 4 threads each go through both, twice.

Usage: thread_semaphore.py START_METHOD
"""

import multiprocessing
import sys
import threading

slots = threading.Semaphore(2)
single = threading.BoundedSemaphore(1)
done = []


def work(k):
    for _ in range(2):
        with slots:
            with single:
                done.append(k)


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    threads = [threading.Thread(target=work, args=(k,), name=f"S-{k}") for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("done:", sorted(done))
