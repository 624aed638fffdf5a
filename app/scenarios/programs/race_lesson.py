"""Lost updates: four processes each add 1 to one shared counter, 2,500 times, without a lock.

`counter.value += 1` is a read followed by a write. Two processes that read the same value both write
value + 1, and one of the increments is lost: the total comes out under 10,000. A lock is already made
below; put the line under it (`with lock:`) and run again: every increment counts.
"""

import multiprocessing

WORKERS = 4
INCREMENTS = 2500


def worker(counter, lock, start):
    start.wait()  # every worker begins together, however long each took to start
    for _ in range(INCREMENTS):
        counter.value += 1  # read, then write: another process may write in between


if __name__ == "__main__":
    lock = multiprocessing.Lock()  # made, not used yet
    counter = multiprocessing.Value("i", 0)  # 'i': a C int in shared memory
    start = multiprocessing.Barrier(WORKERS)
    processes = [multiprocessing.Process(target=worker, args=(counter, lock, start)) for _ in range(WORKERS)]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    print(f"counter = {counter.value} (expected {WORKERS * INCREMENTS})")
