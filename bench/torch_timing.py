"""The timing both PyTorch references use: every core, a warm-up epoch, then the median of three
(or, for bench/htr.ts, epochs on request, interleaved with hwr's: serve_epochs).

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


def serve_epochs(model, epoch, stdin):
    """Interleaved timing: prints {"ready": ...} once set up, then runs one epoch for each line
    "epoch" read from `stdin` and prints {"seconds": ...}; stops at "quit" or the end of input.
    The caller alternates these epochs with its own, so both sides meet the machine's same moods."""
    model.train()
    print(json.dumps({"ready": True, "threads": torch.get_num_threads(), "torch": torch.__version__}), flush=True)
    for line in stdin:
        if line.strip() != "epoch":
            break
        t = time.perf_counter()
        epoch()
        print(json.dumps({"seconds": time.perf_counter() - t}), flush=True)
