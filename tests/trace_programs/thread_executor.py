"""ThreadPoolExecutor(2): 5 submits and a map over 3 items.

Usage: thread_executor.py START_METHOD
"""

import multiprocessing
import sys
from concurrent.futures import ThreadPoolExecutor


def square(n):
    return n * n


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="tpe") as pool:
        futures = [pool.submit(square, n) for n in range(5)]
        mapped = list(pool.map(square, [10, 11, 12]))
    print("results:", [f.result() for f in futures], mapped)
