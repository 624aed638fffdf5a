"""A child that writes a RawValue 100 times and then kills itself with SIGKILL, its last events still
buffered: the trace cannot show them, but counts them as lost.

Usage: killed_unsent.py START_METHOD
"""

import multiprocessing
import os
import signal
import sys
from multiprocessing.sharedctypes import RawValue

WRITES = 100


def doomed(cell):
    for i in range(WRITES):
        cell.value = i
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    cell = RawValue("i", -1)
    p = ctx.Process(target=doomed, args=(cell,), name="doomed")
    p.start()
    p.join()
    print("doomed exit code:", p.exitcode, "last value:", cell.value)
