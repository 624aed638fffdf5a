"""A JoinableQueue pipeline with sentinels: a producer process puts 8 jobs and one None per worker;
2 workers take jobs, put results on a Queue and call task_done; the main process joins the jobs queue.

Usage: joinable_pipeline.py START_METHOD
"""

import multiprocessing
import sys

JOBS = 8
WORKERS = 2


def produce(jobs):
    for n in range(JOBS):
        jobs.put(n)
    for _ in range(WORKERS):
        jobs.put(None)  # one sentinel per worker


def work(jobs, results):
    while True:
        n = jobs.get()
        if n is None:
            jobs.task_done()
            break
        results.put((n, n * 10))
        jobs.task_done()


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    jobs = ctx.JoinableQueue()
    results = ctx.Queue()
    producer = ctx.Process(target=produce, args=(jobs,), name="producer")
    workers = [ctx.Process(target=work, args=(jobs, results), name=f"worker-{i}") for i in range(WORKERS)]
    producer.start()
    for w in workers:
        w.start()
    jobs.join()
    got = sorted(results.get() for _ in range(JOBS))
    producer.join()
    for w in workers:
        w.join()
    print("results:", got)
