"""shared_memory.SharedMemory: the main process creates a 16-byte segment; 2 processes attach to it by
name, each writes its byte and closes it; the main process reads the bytes, closes and unlinks it.

Usage: shm_segment.py START_METHOD
"""

import multiprocessing
import sys
from multiprocessing import shared_memory


def write(segment_name, k):
    view = shared_memory.SharedMemory(name=segment_name)
    view.buf[k] = 10 + k
    view.close()


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    block = shared_memory.SharedMemory(create=True, size=16)
    procs = [ctx.Process(target=write, args=(block.name, k), name=f"writer-{k}") for k in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    print("bytes:", bytes(block.buf[:2]).hex(), "size:", block.size >= 16)
    block.close()
    block.unlink()
