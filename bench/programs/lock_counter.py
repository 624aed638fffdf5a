"""A Lock-guarded shared counter: WORKERS processes each add 1 to one Value INCREMENTS times.

Usage: python lock_counter.py [INCREMENTS] [WORKERS]. Prints the final count (always WORKERS * INCREMENTS).
"""

import sys
from multiprocessing import Lock, Process, Value
from typing import Any


def work(counter: Any, lock: Any, increments: int) -> None:
    for _ in range(increments):
        with lock:
            counter.value += 1


def main() -> None:
    increments = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    counter = Value("i", 0)
    lock = Lock()
    procs = [Process(target=work, args=(counter, lock, increments)) for _ in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    print(counter.value)


if __name__ == "__main__":
    main()
