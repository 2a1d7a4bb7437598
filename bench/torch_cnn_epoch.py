"""One training epoch of hwr's CNN in PyTorch (CPU), the reference for bench/cnn.ts.

The architecture comes from the command line as JSON (written by bench/cnn.ts from the shipped
model's definition), so both sides always train the same network:
  {"input": [32, 32, 1], "convs": [[16, 3], ...], "dense": [128], "classes": 36,
   "batch": 64, "count": 10800, "lr": 0.001}
Each conv is 'same' padding, ReLU, then 2×2 max-pool; dense layers are ReLU; the output layer is
linear with softmax cross-entropy; Adam. Data: random glyph-shaped float32 images and labels
(speed does not depend on the values). Threads: every core (torch_timing.py sets them).
Prints one JSON line: {"seconds": median of 3 epochs after a warm-up, "threads": ..., "torch": ...};
with --serve, runs one epoch per "epoch" line on stdin (torch_timing.serve_epochs).
"""
import json
import sys

import torch
from torch import nn

from torch_timing import report_epoch_time, serve_epochs


def build(arch):
    height, width, channels = arch["input"]
    layers = []
    c = channels
    for filters, kernel in arch["convs"]:
        layers += [nn.Conv2d(c, filters, kernel, padding="same"), nn.ReLU(), nn.MaxPool2d(2)]
        c = filters
        height //= 2
        width //= 2
    layers.append(nn.Flatten())
    features = c * height * width
    for units in arch["dense"]:
        layers += [nn.Linear(features, units), nn.ReLU()]
        features = units
    layers.append(nn.Linear(features, arch["classes"]))
    return nn.Sequential(*layers)


def main():
    arch = json.loads(sys.argv[1])
    torch.manual_seed(1)
    count, batch = arch["count"], arch["batch"]
    height, width, channels = arch["input"]
    x = torch.rand(count, channels, height, width)
    y = torch.randint(0, arch["classes"], (count,))
    model = build(arch)
    optimiser = torch.optim.Adam(model.parameters(), lr=arch.get("lr", 1e-3))
    loss_fn = nn.CrossEntropyLoss()

    def epoch():
        order = torch.randperm(count)
        for start in range(0, count, batch):
            idx = order[start:start + batch]
            optimiser.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            optimiser.step()

    if "--serve" in sys.argv:
        serve_epochs(model, epoch, sys.stdin)
    else:
        report_epoch_time(model, epoch)


if __name__ == "__main__":
    main()
