"""Pool(2).imap_unordered over range(12) with chunksize 3: 4 chunks; results sorted, so deterministic.

Usage: pool_imap_unordered.py START_METHOD
"""

import multiprocessing
import sys


def cube(n):
    return n**3


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    with ctx.Pool(2) as pool:
        results = sorted(pool.imap_unordered(cube, range(12), chunksize=3))
    print("cubes:", results)
    print("sum:", sum(results))
