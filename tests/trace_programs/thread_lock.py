"""threading.Lock in a child process: its 3 threads each add 1 to a counter 4 times under the lock.
Then `isinstance(lock, threading.Lock)`, legal from Python 3.13 (threading.Lock is then a class).

Usage: thread_lock.py START_METHOD
"""

import multiprocessing
import sys
import threading

ROUNDS = 4


def host():
    lock = threading.Lock()
    counter = [0]

    def add():
        for _ in range(ROUNDS):
            with lock:
                counter[0] += 1

    threads = [threading.Thread(target=add, name=f"T-{i}") for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("counter:", counter[0], flush=True)
    try:
        lock.acquire(False, 1)  # as the real lock: a timeout without waiting is refused
    except ValueError as exc:
        print("refused:", exc, flush=True)
    print("locked:", lock.locked(), lock.acquire(False), lock.locked(), flush=True)
    lock.release()
    try:  # traced, as plain: threading.Lock is the lock's class on 3.13+, a function before
        other = threading.RLock()
        print("isinstance:", isinstance(lock, threading.Lock), isinstance(other, threading.Lock), flush=True)
        print("issubclass:", issubclass(type(lock), threading.Lock), flush=True)
    except TypeError:
        print("isinstance: not a class on this Python", flush=True)


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    p = ctx.Process(target=host, name="host")
    p.start()
    p.join()
