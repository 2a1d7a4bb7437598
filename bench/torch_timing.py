"""The timing both PyTorch references use: every core, a warm-up epoch, then the median of three.

Debian's PyTorch starts with one thread on some machines; the reference runs on all cores, as
hwr does, and says how many it used.
"""
import json
import os
import time

import torch

torch.set_num_threads(os.cpu_count() or 1)


def report_epoch_time(model, epoch):
    """Runs `epoch()` once to warm up and three times timed; prints the JSON line the benches read."""
    model.train()
    epoch()  # warm-up
    times = []
    for _ in range(3):
        t = time.perf_counter()
        epoch()
        times.append(time.perf_counter() - t)
    times.sort()
    print(json.dumps({"seconds": times[1], "threads": torch.get_num_threads(), "torch": torch.__version__}))
