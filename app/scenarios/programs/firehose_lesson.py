"""Firehose: many small messages through one queue, to see how the picture scales.

Four producers put 500 numbers each; the main process takes all 2,000 and adds them up.
"""

import multiprocessing


def producer(start, queue):
    for n in range(start, start + 500):
        queue.put(n)


if __name__ == "__main__":
    queue = multiprocessing.Queue()
    producers = [multiprocessing.Process(target=producer, args=(i * 500, queue)) for i in range(4)]
    for p in producers:
        p.start()
    total = sum(queue.get() for _ in range(2000))
    for p in producers:
        p.join()
    print(f"total = {total} (expected {sum(range(2000))})")
