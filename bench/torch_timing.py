"""The timing both PyTorch references use: a warm-up epoch, then the median of three."""
import json
import time

import torch


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
