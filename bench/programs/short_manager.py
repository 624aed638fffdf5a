"""A Manager dict: WORKERS processes each store KEYS entries in it; the main process reads them back.
A short program (~50 ms; most of it the manager's server process starting).

Usage: python short_manager.py [KEYS] [WORKERS]. Prints the number of entries and the sum of the values.
"""

import sys
from multiprocessing import Manager, Process
from typing import Any


def store(shared: Any, worker: int, keys: int) -> None:
    for k in range(keys):
        shared[f"{worker}-{k}"] = worker * keys + k


def main() -> None:
    keys = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    workers = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    with Manager() as manager:
        shared = manager.dict()
        procs = [Process(target=store, args=(shared, w, keys)) for w in range(workers)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        items = dict(shared.items())
    print(len(items), sum(items.values()))


if __name__ == "__main__":
    main()
