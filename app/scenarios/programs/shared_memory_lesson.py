"""Value and Array: numbers in shared memory that every process reads and writes in place.

Each worker fills its own cell of the array and adds to a shared total under the Value's own lock.
"""

import multiprocessing


def worker(i, cells, total):
    cells[i] = (i + 1) * 10
    with total.get_lock():  # a Value comes with a lock of its own
        total.value += cells[i]


if __name__ == "__main__":
    cells = multiprocessing.Array("i", 4)  # four C ints, all 0
    total = multiprocessing.Value("i", 0)
    workers = [multiprocessing.Process(target=worker, args=(i, cells, total)) for i in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join()
    print(f"cells = {list(cells)}, total = {total.value}")
