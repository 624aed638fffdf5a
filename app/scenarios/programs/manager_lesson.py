"""Manager: a server process holds a list and a dict; the workers change them through proxies.

Every call on a proxy is a message to the manager's process and back.
"""

import multiprocessing


def worker(n, shared_list, shared_dict):
    shared_list.append(n)
    shared_dict[n] = n * n


if __name__ == "__main__":
    with multiprocessing.Manager() as manager:
        shared_list = manager.list()
        shared_dict = manager.dict()
        workers = [
            multiprocessing.Process(target=worker, args=(n, shared_list, shared_dict)) for n in range(4)
        ]
        for p in workers:
            p.start()
        for p in workers:
            p.join()
        print(f"list: {sorted(shared_list)}")
        print(f"dict: {dict(sorted(shared_dict.items()))}")
