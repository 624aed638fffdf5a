"""A small program touching most primitives, for test_browser_trace.py (`mpscope trace` in a browser)."""

import multiprocessing as mp
import time


def producer(q, n, lock, total):
    for i in range(n):
        q.put(i)
        with lock:
            total.value += i
        time.sleep(0.002)
    q.put(None)


def consumer(q, out, barrier):
    barrier.wait()
    got = 0
    while (item := q.get()) is not None:
        out[item % len(out)] = item
        got += 1
    return got


def square(x):
    return x * x


if __name__ == "__main__":
    q = mp.Queue(maxsize=5)
    lock = mp.Lock()
    total = mp.Value("i", 0)
    out = mp.Array("i", 8)
    barrier = mp.Barrier(2)
    c = mp.Process(target=consumer, args=(q, out, barrier), name="consumer")
    p = mp.Process(target=producer, args=(q, 40, lock, total), name="producer")
    c.start()
    p.start()
    barrier.wait()
    p.join()
    c.join()
    with mp.Manager() as m:
        d = m.dict()
        d["total"] = total.value
        d["squares"] = sum(range(5))
    a, b = mp.Pipe()
    a.send("ping")
    print(b.recv())
    with mp.Pool(2) as pool:
        print(pool.map(square, range(10)))
    print("total", total.value, list(out))
