"""Deadlock: two processes take two locks in opposite order, and each waits for the other.

Each holds its first lock and then asks for the second, which the other holds. Neither can go on.
Here p1 gives up after one second (acquire with a timeout) and lets go of its lock, so p2, more
patient, gets both and the program ends. Take the locks in the same order in both: no one waits.
"""

import multiprocessing
import time


def worker(name, first, second, patience):
    with first:
        time.sleep(0.2)  # long enough for the other to take its first lock
        if second.acquire(timeout=patience):
            second.release()
            print(f"{name}: got both locks")
        else:
            print(f"{name}: gave up waiting: deadlock")


if __name__ == "__main__":
    a, b = multiprocessing.Lock(), multiprocessing.Lock()
    p1 = multiprocessing.Process(target=worker, args=("p1", a, b, 1))
    p2 = multiprocessing.Process(target=worker, args=("p2", b, a, 3))  # the opposite order
    p1.start()
    p2.start()
    p1.join()
    p2.join()
