"""The tutorial's third example: Pool(processes=4).map over range(10) (its 1 s sleep shortened to 0.1 s).

Usage: tutorial_pool_map.py START_METHOD
"""

import multiprocessing
import sys
import time


def worker(num):
    print(f"進程 {num} 啟動")
    time.sleep(0.1)  # the tutorial sleeps 1 s
    return num * num


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    with multiprocessing.Pool(processes=4) as pool:
        results = pool.map(worker, range(10))  # 將 worker 函數應用于 range(10) 的每個元素
        print(f"結果:{results}")
