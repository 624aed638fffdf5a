"""Pool: the tutorial's third example. Four worker processes share ten tasks; pool.map hands them out
and gives back the results in order.
"""

import multiprocessing
import time


def worker(num):
    print(f"進程 {num} 啟動")
    time.sleep(1)
    return num * num


if __name__ == "__main__":
    with multiprocessing.Pool(processes=4) as pool:
        results = pool.map(worker, range(10))  # 將 worker 函數應用于 range(10) 的每個元素
        print(f"結果:{results}")
