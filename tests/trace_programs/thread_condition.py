"""threading.Condition: 2 consumers wait for items, a producer thread adds 4 and notifies each time,
then notify_all with a stop flag.

Usage: thread_condition.py START_METHOD
"""

import multiprocessing
import sys
import threading

cond = threading.Condition()
items = []
taken = []
stop = [False]


def consumer():
    while True:
        with cond:
            while not items and not stop[0]:
                cond.wait()
            if items:
                taken.append(items.pop())
            elif stop[0]:
                return


def producer():
    for i in range(4):
        with cond:
            items.append(i)
            cond.notify()
    with cond:
        stop[0] = True
        cond.notify_all()


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    threads = [threading.Thread(target=consumer, name=f"C-{k}") for k in range(2)]
    threads.append(threading.Thread(target=producer, name="P"))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("taken:", sorted(taken))
