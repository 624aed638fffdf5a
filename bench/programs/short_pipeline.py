"""A queue pipeline: a producer process puts ITEMS numbers on one Queue, a worker process squares each
onto a second Queue, the main process sums them; None ends each stage. A short program (~50 ms).

Usage: python short_pipeline.py [ITEMS]. Prints the count and the sum of the squares.
"""

import sys
from multiprocessing import Process, Queue
from typing import Any


def produce(out: Any, items: int) -> None:
    for i in range(items):
        out.put(i)
    out.put(None)


def square(inbox: Any, out: Any) -> None:
    while (n := inbox.get()) is not None:
        out.put(n * n)
    out.put(None)


def main() -> None:
    items = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    first: Any = Queue()
    second: Any = Queue()
    stages = [Process(target=produce, args=(first, items)), Process(target=square, args=(first, second))]
    for p in stages:
        p.start()
    count = total = 0
    while (n := second.get()) is not None:
        count += 1
        total += n
    for p in stages:
        p.join()
    print(count, total)


if __name__ == "__main__":
    main()
