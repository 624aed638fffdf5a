"""A producer process puts ITEMS integers on a Queue; a consumer process gets them all and sums them.

Usage: python queue_100k.py [ITEMS]. Prints the number of items received and their sum.
"""

import sys
from multiprocessing import Process, Queue
from typing import Any


def produce(q: Any, items: int) -> None:
    for i in range(items):
        q.put(i)


def consume(q: Any, items: int, out: Any) -> None:
    total = 0
    for _ in range(items):
        total += q.get()
    out.put((items, total))


def main() -> None:
    items = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    q: Any = Queue()
    out: Any = Queue()
    producer = Process(target=produce, args=(q, items))
    consumer = Process(target=consume, args=(q, items, out))
    producer.start()
    consumer.start()
    received, total = out.get()
    producer.join()
    consumer.join()
    print(received, total)


if __name__ == "__main__":
    main()
