"""How well can two look-alike classes of the EMNIST pool be told apart at all?

Trains a PyTorch CNN (conv 32-64-64, dense 128, about 3× the shipped CNN's filters) on just the
two classes, with class-weighted loss and a small shift augmentation, and reports on a held-out
stratified 10% of them: the ROC AUC and the best "min of the two class accuracies" over all
thresholds, chosen on that same held-out part (an optimistic ceiling). If that ceiling is below
a per-class floor, no 36-class model can meet the floor for both classes on this data.

    python3 bench/pair_ceiling.py O 0          (or: I 1)   [--epochs 12] [--data DIR]

Needs numpy and torch (Debian: python3-torch). Reads ../shared/data/emnist36 (never committed).
"""
import argparse
import gzip
import os

import numpy as np
import torch
import torch.nn as nn

CLASSES = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'


def read_idx(path):
    with gzip.open(path, 'rb') as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_pool(folder):
    images, labels = [], []
    for k in range(6):
        stem = os.path.join(folder, f'emnist36-pool-part{k}')
        images.append(read_idx(f'{stem}-images-idx3-ubyte.gz'))
        labels.append(read_idx(f'{stem}-labels-idx1-ubyte.gz'))
    x = np.concatenate(images).astype(np.float32) / 255.0
    # 28×28 → 32×32 glyphs with a 2-pixel border, as the app frames them
    x = np.pad(x, ((0, 0), (2, 2), (2, 2)))[:, None]
    return x, np.concatenate(labels).astype(np.int64)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument('a')
    ap.add_argument('b')
    ap.add_argument('--epochs', type=int, default=12)
    ap.add_argument('--data', default=os.path.join(here, '..', '..', 'shared', 'data', 'emnist36'))
    ap.add_argument('--seed', type=int, default=0)
    args = ap.parse_args()
    a, b = CLASSES.index(args.a), CLASSES.index(args.b)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    x, y = load_pool(args.data)
    keep = (y == a) | (y == b)
    x, t = x[keep], (y[keep] == a).astype(np.float32)
    held = np.zeros(len(t), bool)
    for c in (0, 1):
        idx = np.flatnonzero(t == c)
        held[rng.choice(idx, len(idx) // 10, replace=False)] = True
    xt, yt = torch.tensor(x[~held]), torch.tensor(t[~held])
    xv, yv = torch.tensor(x[held]), t[held]
    net = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1024, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 1))
    opt = torch.optim.Adam(net.parameters(), 1e-3, weight_decay=1e-4)
    share = yt.mean()
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=(1 - share) / share)
    print(f'{args.a} vs {args.b}: {len(yt)} training, {len(yv)} held-out images')
    best_line = None
    for epoch in range(args.epochs):
        net.train()
        order = torch.randperm(len(xt))
        for i in range(0, len(xt), 64):
            j = order[i:i + 64]
            batch = torch.roll(xt[j], shifts=(int(rng.integers(-2, 3)), int(rng.integers(-2, 3))), dims=(2, 3))
            opt.zero_grad()
            loss_fn(net(batch).squeeze(1), yt[j]).backward()
            opt.step()
        net.eval()
        with torch.no_grad():
            s = net(xv).squeeze(1).numpy()
        pos, neg = s[yv == 1], s[yv == 0]
        auc = (pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean()
        ceiling = max(min((pos > th).mean(), (neg <= th).mean()) for th in np.quantile(s, np.linspace(0, 1, 401)))
        line = f'epoch {epoch + 1}: auc {auc:.3f}, best min({args.a}, {args.b}) accuracy {ceiling * 100:.1f}%'
        print(line, flush=True)
        if best_line is None or ceiling > best_line[0]:
            best_line = (ceiling, line)
    print(f'ceiling {best_line[0] * 100:.1f}% ({best_line[1]})')


if __name__ == '__main__':
    main()
