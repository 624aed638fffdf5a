"""Pool(4).map of a small function over TASKS inputs (the default chunksize).

Usage: python pool_map.py [TASKS]. Prints the sum of the results.
"""

import sys
from multiprocessing import Pool


def square_sum(n: int) -> int:
    return sum(i * i for i in range(n % 50))


def main() -> None:
    tasks = int(sys.argv[1]) if len(sys.argv) > 1 else 4_000
    with Pool(4) as pool:
        results = pool.map(square_sum, range(tasks))
    print(sum(results))


if __name__ == "__main__":
    main()
