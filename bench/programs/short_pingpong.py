"""Pipe ping-pong: the main process sends ROUNDS numbers down a Pipe, a child answers each with n + 1.
A short program (~50 ms).

Usage: python short_pingpong.py [ROUNDS]. Prints how many answers came back and their sum.
"""

import sys
from multiprocessing import Pipe, Process
from typing import Any


def pong(conn: Any, rounds: int) -> None:
    for _ in range(rounds):
        conn.send(conn.recv() + 1)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    mine, theirs = Pipe()
    child = Process(target=pong, args=(theirs, rounds))
    child.start()
    total = 0
    for i in range(rounds):
        mine.send(i)
        total += mine.recv()
    child.join()
    print(rounds, total)


if __name__ == "__main__":
    main()
