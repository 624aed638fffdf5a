"""InterpreterPoolExecutor(2) (Python 3.14+): 4 submits and a map over 3 items, each task run in one of
the pool's interpreters (math.factorial: a function every interpreter can import by name).

Usage: interp_pool.py START_METHOD (set, though no process is started)
"""

import math
import multiprocessing
import sys
from concurrent.futures import InterpreterPoolExecutor

if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    with InterpreterPoolExecutor(max_workers=2, thread_name_prefix="interp") as pool:
        futures = [pool.submit(math.factorial, n) for n in range(4)]
        mapped = list(pool.map(math.factorial, [5, 6, 7]))
    print("results:", [f.result() for f in futures], mapped)
