"""Process, start() and join(): the tutorial's first example.

Three processes run `worker` at the same time; the main process waits for each with join().
"""

import multiprocessing
import time


def worker(num):
    print(f"進程 {num} 啟動")
    time.sleep(2)  # 模擬耗時操作
    print(f"進程 {num} 結束")


if __name__ == "__main__":
    processes = []
    for i in range(3):
        p = multiprocessing.Process(target=worker, args=(i,))
        processes.append(p)
        p.start()

    for p in processes:
        p.join()

    print("所有進程執行完畢")
