"""threading.Barrier(3): 3 threads meet at it twice.

Usage: thread_barrier.py START_METHOD
"""

import multiprocessing
import sys
import threading

meet = threading.Barrier(3)


def party():
    for _ in range(2):
        meet.wait()


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    threads = [threading.Thread(target=party, name=f"B-{k}") for k in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("broken:", meet.broken)
