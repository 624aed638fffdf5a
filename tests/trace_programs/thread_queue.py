"""queue.Queue(maxsize=2): a producer thread puts 6 items, 2 consumer threads get 3 each and mark them
done; the main thread joins the queue.

Usage: thread_queue.py START_METHOD
"""

import multiprocessing
import queue
import sys
import threading

jobs = queue.Queue(maxsize=2)
got = []


def producer():
    for i in range(6):
        jobs.put(i)


def consumer():
    for _ in range(3):
        got.append(jobs.get())
        jobs.task_done()


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    threads = [threading.Thread(target=producer, name="producer")]
    threads += [threading.Thread(target=consumer, name=f"consumer-{k}") for k in range(2)]
    for t in threads:
        t.start()
    jobs.join()
    for t in threads:
        t.join()
    print("got:", sorted(got))
    # the stdlib's own locks stay the real ones (only the program's are wrapped)
    print("inside:", type(jobs.mutex).__name__, type(threading.Condition()._lock).__name__)
