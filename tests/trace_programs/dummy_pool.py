"""multiprocessing.dummy.Pool(2) (threads): a map of 6 items with chunksize 2.

Usage: dummy_pool.py START_METHOD
"""

import multiprocessing
import sys
from multiprocessing.dummy import Pool


def cube(n):
    return n**3


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    with Pool(2) as pool:
        print("cubes:", pool.map(cube, range(6), chunksize=2))
