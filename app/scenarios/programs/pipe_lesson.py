"""Pipe: a connection between exactly two processes. They play ping-pong: each message goes one way
and its answer comes back the other.
"""

import multiprocessing


def player(conn):
    for ball in iter(conn.recv, None):
        conn.send(ball + 1)  # hit it back
    conn.close()


if __name__ == "__main__":
    mine, theirs = multiprocessing.Pipe()
    p = multiprocessing.Process(target=player, args=(theirs,))
    p.start()
    ball = 0
    for _ in range(5):
        mine.send(ball)
        ball = mine.recv() + 1
    mine.send(None)  # game over
    p.join()
    print(f"ball = {ball}")
