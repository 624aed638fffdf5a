"""A new program: edit it and run it (Ctrl+Enter, or Cmd+Enter on a Mac).

Two worker processes take numbers from a queue and put back their squares.
"""

import multiprocessing


def worker(tasks, results):
    for n in iter(tasks.get, None):  # None: no more work
        results.put((n, n * n))


if __name__ == "__main__":
    tasks, results = multiprocessing.Queue(), multiprocessing.Queue()
    workers = [multiprocessing.Process(target=worker, args=(tasks, results)) for _ in range(2)]
    for p in workers:
        p.start()
    for n in range(6):
        tasks.put(n)
    for _ in workers:
        tasks.put(None)
    squares = dict(results.get() for _ in range(6))
    for p in workers:
        p.join()
    print(sorted(squares.items()))
