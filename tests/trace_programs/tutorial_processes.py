"""The tutorial's first example: 3 processes started, then joined (its 2 s sleep shortened to 0.2 s).

Usage: tutorial_processes.py START_METHOD
"""

import multiprocessing
import sys
import time


def worker(num):
    print(f"進程 {num} 啟動")
    time.sleep(0.2)  # 模擬耗時操作 (the tutorial sleeps 2 s)
    print(f"進程 {num} 結束")


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    processes = []
    for i in range(3):
        p = multiprocessing.Process(target=worker, args=(i,))
        processes.append(p)
        p.start()

    for p in processes:
        p.join()

    print("所有進程執行完畢")
