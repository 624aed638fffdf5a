"""The tutorial's second example: 5 processes add 1 to a shared Value, each under an explicit Lock.

Usage: tutorial_lock_counter.py START_METHOD
"""

import multiprocessing
import sys
import time


def worker(lock, counter):
    lock.acquire()  # 獲取鎖
    try:
        # 臨界區:訪問共享數據
        counter.value += 1
        print(f"進程 {multiprocessing.current_process().name} 增加計數器到 {counter.value}")
        time.sleep(0.1)  # 模擬耗時操作
    finally:
        lock.release()  # 釋放鎖


if __name__ == "__main__":
    multiprocessing.set_start_method(sys.argv[1])
    lock = multiprocessing.Lock()
    counter = multiprocessing.Value("i", 0)  # 'i' 表示整數類型

    processes = []
    for i in range(5):
        p = multiprocessing.Process(target=worker, args=(lock, counter), name=f"Process-{i}")
        processes.append(p)
        p.start()

    for p in processes:
        p.join()

    print(f"最終計數器值:{counter.value}")
