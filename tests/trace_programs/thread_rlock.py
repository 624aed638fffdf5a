"""threading.RLock taken twice (nested) by each of 2 threads, 3 times.

Usage: thread_rlock.py START_METHOD
"""

import multiprocessing
import sys
import threading

ROUNDS = 3
rlock = threading.RLock()
total = []


def nested(k):
    for i in range(ROUNDS):
        with rlock:
            with rlock:
                total.append((k, i))


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    threads = [threading.Thread(target=nested, args=(k,), name=f"R-{k}") for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("entries:", len(total))
