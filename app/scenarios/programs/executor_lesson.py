"""ProcessPoolExecutor: the concurrent.futures way to a pool of processes. Submit work, get futures,
read their results as they complete.
"""

import concurrent.futures
import time


def square(n):
    time.sleep(0.1)
    return n * n


if __name__ == "__main__":
    with concurrent.futures.ProcessPoolExecutor(max_workers=3) as pool:
        futures = {pool.submit(square, n): n for n in range(6)}
        results = {futures[f]: f.result() for f in concurrent.futures.as_completed(futures)}
    print(f"squares: {dict(sorted(results.items()))}")
