"""threading.Event: 3 threads wait for it; the main thread sets it once they are all waiting.

Usage: thread_event.py START_METHOD
"""

import multiprocessing
import sys
import threading

go = threading.Event()
ready = threading.Semaphore(0)


def waiter():
    ready.release()
    go.wait()


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    threads = [threading.Thread(target=waiter, name=f"W-{k}") for k in range(3)]
    for t in threads:
        t.start()
    for _ in threads:
        ready.acquire()
    go.set()
    for t in threads:
        t.join()
    print("all through:", go.is_set())
