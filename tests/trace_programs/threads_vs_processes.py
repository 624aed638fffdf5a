"""The GIL lesson's comparison as an ordinary program: the same CPU-bound job (a pure-Python sum of
squares) run by 2 threads, then by 2 processes, each joined.

Usage: threads_vs_processes.py START_METHOD
"""

import multiprocessing
import sys
import threading

N = 300_000


def work(n):
    total = 0
    for i in range(n):
        total += i * i
    return total


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    threads = [threading.Thread(target=work, args=(N,), name=f"cpu-T{i}") for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    procs = [multiprocessing.Process(target=work, args=(N,), name=f"cpu-P{i}") for i in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    print("sum:", work(N), "exit codes:", [p.exitcode for p in procs])
