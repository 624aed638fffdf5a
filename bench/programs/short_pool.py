"""Pool(2).map of a small function over TASKS inputs (the default chunksize). A short program (~50 ms).

Usage: python short_pool.py [TASKS]. Prints the sum of the results.
"""

import sys
from multiprocessing import Pool


def cube(n: int) -> int:
    return n * n * n


def main() -> None:
    tasks = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with Pool(2) as pool:
        results = pool.map(cube, range(tasks))
    print(sum(results))


if __name__ == "__main__":
    main()
