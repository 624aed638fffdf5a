"""queue.SimpleQueue: 2 threads put 3 items each, the main thread gets all 6.

Usage: thread_simplequeue.py START_METHOD
"""

import multiprocessing
import queue
import sys
import threading

inbox = queue.SimpleQueue()


def sender(k):
    for i in range(3):
        inbox.put((k, i))


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    threads = [threading.Thread(target=sender, args=(k,), name=f"sender-{k}") for k in range(2)]
    for t in threads:
        t.start()
    received = sorted(inbox.get() for _ in range(6))
    for t in threads:
        t.join()
    print("received:", received, isinstance(inbox, queue.SimpleQueue))
