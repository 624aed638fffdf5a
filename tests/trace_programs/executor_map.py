"""concurrent.futures.ProcessPoolExecutor with 2 workers: map over range(6) and one submit.

Usage: executor_map.py START_METHOD
"""

import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor


def double(n):
    return 2 * n


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    with ProcessPoolExecutor(max_workers=2, mp_context=ctx) as executor:
        doubled = list(executor.map(double, range(6)))
        extra = executor.submit(double, 100).result()
    print("doubled:", doubled)
    print("extra:", extra)
