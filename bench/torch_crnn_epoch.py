"""One training epoch of hwr's line model in PyTorch (CPU), the reference for bench/htr.ts.

Reads JSON on the first line of stdin: {"arch": LineArchitecture, "batch": 16, "widths": [...], "lengths": [...]},
the architecture and the widths and label lengths of the real lines bench/htr.ts trains on, so
both sides train the same network on the same shapes. Data: random ink and labels (speed does
not depend on the values). Lines sorted by width, batches padded to their widest; Adam; CTC.
Threads: every core (torch.set_num_threads(os.cpu_count())).
Prints one JSON line: {"seconds": median of 3 epochs after a warm-up, "threads": ..., "torch": ...};
with --serve, runs one epoch per "epoch" line that follows on stdin (torch_timing.serve_epochs).
"""
import json
import os
import sys

import torch
from torch import nn

from torch_timing import report_epoch_time, serve_epochs


class LineModel(nn.Module):
    def __init__(self, arch):
        super().__init__()
        convs, c, rows = [], 1, arch["height"]
        for block in arch["convs"]:
            pool = tuple(block["pool"])
            convs += [nn.Conv2d(c, block["filters"], 3, padding=1), nn.ReLU(), nn.MaxPool2d(pool, pool)]
            c, rows = block["filters"], rows // pool[0]
        self.convs = nn.Sequential(*convs)
        features = rows * c
        self.seq = nn.ModuleList()
        self.residual = []
        for layer in arch["seq"]:
            self.seq.append(nn.Conv1d(features, layer["filters"], layer["kernel"], padding=layer["kernel"] // 2))
            self.residual.append(features == layer["filters"] and layer["kernel"] > 1)
            features = layer["filters"]
        self.dropout = nn.Dropout(arch["dropout"])
        self.out = nn.Linear(features, arch["classes"])

    def forward(self, x):
        h = self.convs(x)  # N, C, H, W
        n, c, rows, frames = h.shape
        s = h.permute(0, 1, 2, 3).reshape(n, c * rows, frames)  # N, F, T
        for conv, residual in zip(self.seq, self.residual):
            z = torch.relu(conv(s))
            s = s + z if residual else z
        s = self.dropout(s.transpose(1, 2))  # N, T, F
        return self.out(s)


def main():
    spec = json.loads(sys.stdin.readline())
    torch.set_num_threads(os.cpu_count())
    torch.manual_seed(1)
    arch, batch = spec["arch"], spec["batch"]
    pool_w = 1
    for block in arch["convs"]:
        pool_w *= block["pool"][1]
    order = sorted(range(len(spec["widths"])), key=lambda i: spec["widths"][i])
    batches = []
    for s in range(0, len(order), batch):
        group = order[s:s + batch]
        width = max(spec["widths"][i] for i in group)
        x = torch.rand(len(group), 1, arch["height"], width)
        lengths = torch.tensor([spec["lengths"][i] for i in group])
        targets = torch.randint(1, arch["classes"], (int(lengths.sum()),))
        frames = torch.tensor([spec["widths"][i] // pool_w for i in group])
        batches.append((x, targets, frames, lengths))
    model = LineModel(arch)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    ctc = nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True)

    def epoch():
        for x, targets, frames, lengths in batches:
            optimiser.zero_grad(set_to_none=True)
            logp = torch.log_softmax(model(x), dim=2).transpose(0, 1)
            loss = ctc(logp, targets, frames, lengths) / x.shape[0]
            loss.backward()
            optimiser.step()

    if "--serve" in sys.argv:
        serve_epochs(model, epoch, sys.stdin)
    else:
        report_epoch_time(model, epoch)


if __name__ == "__main__":
    main()
