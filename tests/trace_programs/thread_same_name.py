"""Two threads of the same name, both alive at once (a Barrier holds each until both are there): each
adds 1 to a counter 3 times under a threading.Lock. Two threads, two lanes, though one name.

Usage: thread_same_name.py START_METHOD (set, though no process is started)
"""

import multiprocessing
import sys
import threading

ROUNDS = 3

if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    lock = threading.Lock()
    both = threading.Barrier(2)
    counter = [0]

    def add():
        both.wait()
        for _ in range(ROUNDS):
            with lock:
                counter[0] += 1

    threads = [threading.Thread(target=add, name="worker") for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("counter:", counter[0], "names:", [t.name for t in threads])
