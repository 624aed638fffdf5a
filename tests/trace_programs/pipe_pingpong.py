"""Pipe ping-pong: after a Barrier of 2, the main process sends 5 numbers, the child answers each +1;
then the child sets an Event the main process waits on.

Usage: pipe_pingpong.py START_METHOD
"""

import multiprocessing
import sys

ROUNDS = 5


def pong(conn, barrier, done):
    barrier.wait()
    for _ in range(ROUNDS):
        n = conn.recv()
        conn.send(n + 1)
    done.set()


if __name__ == "__main__":
    ctx = multiprocessing.get_context(sys.argv[1])
    parent_conn, child_conn = ctx.Pipe()
    barrier = ctx.Barrier(2)
    done = ctx.Event()
    child = ctx.Process(target=pong, args=(child_conn, barrier, done), name="ponger")
    child.start()
    barrier.wait()
    answers = []
    for i in range(ROUNDS):
        parent_conn.send(i * 10)
        answers.append(parent_conn.recv())
    done.wait()
    child.join()
    print("answers:", answers)
