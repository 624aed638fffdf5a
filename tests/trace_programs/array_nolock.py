"""Array(..., lock=False): each of 3 processes fills its own slice of 2 cells (no lock needed), then the
main process reads the whole array as one slice.

Usage: array_nolock.py START_METHOD
"""

import multiprocessing
import sys


def fill(squares, k):
    for i in (2 * k, 2 * k + 1):
        squares[i] = i * i


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    squares = ctx.Array("i", 6, lock=False)
    procs = [ctx.Process(target=fill, args=(squares, k), name=f"filler-{k}") for k in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    print("squares:", squares[:])
