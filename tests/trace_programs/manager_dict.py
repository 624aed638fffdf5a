"""A Manager dict: 3 processes each store their square; the main process reads them back and writes
them to a small result file.

Usage: manager_dict.py START_METHOD RESULT_FILE
"""

import json
import multiprocessing
import sys


def store(shared, i):
    shared[f"k{i}"] = i * i


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    with ctx.Manager() as manager:
        shared = manager.dict()
        procs = [ctx.Process(target=store, args=(shared, i), name=f"store-{i}") for i in range(3)]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        items = sorted(shared.items())
    with open(sys.argv[2], "w") as f:
        json.dump(dict(items), f, sort_keys=True)
    print("items:", items)
