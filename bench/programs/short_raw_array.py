"""A lock-guarded RawArray (the textbook pattern: no second, built-in lock): WORKERS processes each add 1
to cell (i % CELLS) ROUNDS times, each addition under one explicit Lock. A short program (~50 ms).

Usage: python short_raw_array.py [ROUNDS] [WORKERS]. Prints the array's sum (always WORKERS * ROUNDS).
"""

import sys
from multiprocessing import Lock, Process, RawArray
from typing import Any

CELLS = 4


def add(cells: Any, guard: Any, rounds: int) -> None:
    for i in range(rounds):
        with guard:
            cells[i % CELLS] += 1


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    cells = RawArray("i", CELLS)
    guard = Lock()
    procs = [Process(target=add, args=(cells, guard, rounds)) for _ in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    print(sum(cells))


if __name__ == "__main__":
    main()
