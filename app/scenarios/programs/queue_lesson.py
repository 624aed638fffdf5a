"""Producers and consumers: a multiprocessing.Queue passes messages between processes.

Two producers put five items each; two consumers take them until each gets None (no more work).
"""

import multiprocessing
import time


def producer(name, queue):
    for i in range(5):
        queue.put(f"{name}-{i}")
        time.sleep(0.05)


def consumer(queue, done):
    for item in iter(queue.get, None):
        time.sleep(0.1)  # working on it
        done.put(item)


if __name__ == "__main__":
    queue, done = multiprocessing.Queue(), multiprocessing.Queue()
    producers = [multiprocessing.Process(target=producer, args=(n, queue)) for n in ("a", "b")]
    consumers = [multiprocessing.Process(target=consumer, args=(queue, done)) for _ in range(2)]
    for p in producers + consumers:
        p.start()
    for p in producers:
        p.join()
    for _ in consumers:
        queue.put(None)  # one "no more work" for each consumer
    items = sorted(done.get() for _ in range(10))
    for p in consumers:
        p.join()
    print(f"{len(items)} items: {items}")
