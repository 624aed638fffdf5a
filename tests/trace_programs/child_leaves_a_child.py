"""A child starts a grandchild and returns without joining it: multiprocessing joins it for the child
as the child exits (util._exit_function), before the child's exit. Python 3.13 moved that join out of
BaseProcess._bootstrap to an atexit handler that runs after it (3.13 (docs/trace.md, "Python versions").

Usage: child_leaves_a_child.py START_METHOD
"""

import multiprocessing
import sys
import time


def grandchild():
    time.sleep(0.2)
    print("grandchild done")


def child():
    multiprocessing.Process(target=grandchild, name="grandchild").start()
    print("child returns")


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    p = multiprocessing.Process(target=child, name="child")
    p.start()
    p.join()
    print("child exit code:", p.exitcode)
