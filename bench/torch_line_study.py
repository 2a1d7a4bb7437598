"""Which line network can reach a low CER on unseen writers, given enough training? (PyTorch, GPU)

A study to choose the line recogniser's architecture, run where a GPU is lent (one short run):
several candidate networks train side by side, each in its own process, on the same Copiste
lines cut by hwr (app/data/lines.ts) with the same writer split as `hwr train --arch crnn`,
for the same wall-clock budget, and report the greedy CER on the validation writers as they go.

Input: a file written by bench/export_lines.ts (a 4-byte header length, a JSON header with the
charset and per line width/height/text/validation flag, then every line's ink quantised to
0..15), optionally xz-compressed.

  python3 bench/torch_line_study.py DATA.bin[.xz] OUT_DIR --seconds 420 [--variants a,b,c]

Each variant writes OUT_DIR/study-NAME.jsonl: one JSON line per evaluation
({"epoch", "seconds", "train_loss", "cer", "lr"}) and a last line {"done": true, "params", "best_cer"}.
Augmentation (on the GPU): random slant, scale and shift (an affine warp) and contrast.

Run on 2026-12-04 (one H200, three variants side by side, 190 s each, batch 16, AdamW 1e-3 with
cosine decay, no synthetic lines), greedy CER on the 664 lines of the 28 validation writers:
- current (640k parameters): 33 epochs, best 23.4% (flat from epoch 25);
- wide_conv (2.1M): 32 epochs, best 18.5% (flat from epoch 23);
- bilstm (2.1M): 12 epochs, 97.6% (had not started to learn in that time).
The TF.js run of the current network (with synthetic lines and elastic augmentation) reached
20.1% at epoch 21. Neither convolutional network comes near 8% on these lines alone.
"""
import argparse
import json
import lzma
import math
import os
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

VARIANTS = {
    # hwr's network today (app/train/tfjs/line-model.ts defaultLineArchitecture).
    "current": {"convs": [(16, (2, 2)), (32, (2, 2)), (64, (2, 1)), (96, (2, 1))], "seq": "conv", "seq_filters": [(192, 3), (192, 5), (192, 5)]},
    # Twice the convolution filters and five 1-D convolutions (a wider view along the line).
    "wide_conv": {"convs": [(32, (2, 2)), (64, (2, 2)), (128, (2, 1)), (128, (2, 1))], "seq": "conv", "seq_filters": [(256, 5)] * 5},
    # Dilated 1-D convolutions: the same parameters as wide_conv, a view of ~60 frames.
    "dilated": {"convs": [(32, (2, 2)), (64, (2, 2)), (128, (2, 1)), (128, (2, 1))], "seq": "dilated", "seq_filters": [(256, 3, 1), (256, 3, 2), (256, 3, 4), (256, 3, 8), (256, 3, 1)]},
    # What Kraken and most CRNNs use: the convolutions, then two bidirectional LSTM layers.
    "bilstm": {"convs": [(32, (2, 2)), (64, (2, 2)), (128, (2, 1)), (128, (2, 1))], "seq": "lstm", "hidden": 192, "layers": 2},
    # hwr's convolutions with a small BiLSTM on top.
    "current_lstm": {"convs": [(16, (2, 2)), (32, (2, 2)), (64, (2, 1)), (96, (2, 1))], "seq": "lstm", "hidden": 128, "layers": 2},
}


def load(path):
    raw = lzma.open(path).read() if path.endswith(".xz") else open(path, "rb").read()
    size = int.from_bytes(raw[:4], "little")
    header = json.loads(raw[4 : 4 + size].decode("utf8"))
    at = 4 + size
    lines = []
    for line in header["lines"]:
        n = line["w"] * line["h"]
        ink = np.frombuffer(raw, np.uint8, n, at).reshape(line["h"], line["w"])
        at += n
        lines.append((ink, line["t"], line["v"], line["wr"]))
    return header["chars"], lines


class LineNet(nn.Module):
    def __init__(self, spec, height, classes):
        super().__init__()
        layers, c, rows = [], 1, height
        for filters, pool in spec["convs"]:
            layers += [nn.Conv2d(c, filters, 3, padding=1), nn.ReLU(), nn.MaxPool2d(pool, pool)]
            c, rows = filters, rows // pool[0]
        self.convs = nn.Sequential(*layers)
        self.pool_w = math.prod(p[1] for _, p in spec["convs"])
        features = rows * c
        self.kind = spec["seq"]
        if self.kind == "lstm":
            self.rnn = nn.LSTM(features, spec["hidden"], num_layers=spec["layers"], bidirectional=True, batch_first=True, dropout=0.2)
            features = 2 * spec["hidden"]
        else:
            self.seq = nn.ModuleList()
            self.residual = []
            for layer in spec["seq_filters"]:
                filters, kernel = layer[0], layer[1]
                dilation = layer[2] if len(layer) > 2 else 1
                self.seq.append(nn.Conv1d(features, filters, kernel, padding=dilation * (kernel // 2), dilation=dilation))
                self.residual.append(features == filters)
                features = filters
        self.dropout = nn.Dropout(0.2)
        self.out = nn.Linear(features, classes)

    def forward(self, x, widths):
        h = self.convs(x)
        n, c, rows, frames = h.shape
        valid = torch.arange(frames, device=x.device)[None, :] < (widths // self.pool_w)[:, None]
        s = h.reshape(n, c * rows, frames)
        if self.kind == "lstm":
            s = s.transpose(1, 2)
            lengths = (widths // self.pool_w).clamp(min=1).cpu()
            packed = nn.utils.rnn.pack_padded_sequence(s, lengths, batch_first=True, enforce_sorted=False)
            s, _ = self.rnn(packed)
            s, _ = nn.utils.rnn.pad_packed_sequence(s, batch_first=True, total_length=frames)
        else:
            m = valid[:, None, :].float()
            s = s * m
            for conv, residual in zip(self.seq, self.residual):
                z = torch.relu(conv(s)) * m
                s = s + z if residual else z
            s = s.transpose(1, 2)
        return self.out(self.dropout(s)), valid.sum(1)


def augment(x, gen):
    """Random slant, scale, shift and contrast for a batch [N, 1, H, W] on the GPU."""
    n = x.shape[0]
    r = lambda lo, hi: torch.empty(n, device=x.device).uniform_(lo, hi, generator=gen)  # noqa: E731
    slant, scale, dx, dy = r(-0.3, 0.3), r(0.9, 1.1), r(-0.03, 0.03), r(-0.06, 0.06)
    aspect = x.shape[2] / x.shape[3]
    theta = torch.zeros(n, 2, 3, device=x.device)
    theta[:, 0, 0] = 1 / scale
    theta[:, 0, 1] = slant * aspect
    theta[:, 0, 2] = dx
    theta[:, 1, 1] = 1 / scale
    theta[:, 1, 2] = dy
    grid = F.affine_grid(theta, x.shape, align_corners=False)
    y = F.grid_sample(x, grid, align_corners=False, padding_mode="zeros")
    return y * r(0.6, 1.0)[:, None, None, None]


def edit_distance(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def run_variant(name, data_path, out_dir, seconds, batch, seed, limit=0):
    torch.manual_seed(seed)
    # No cuDNN autotuning: line batches come in hundreds of widths, and each new shape would be tuned anew.
    torch.backends.cudnn.benchmark = False
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    chars, lines = load(data_path)
    index = {c: i + 1 for i, c in enumerate(chars)}
    height = lines[0][0].shape[0]
    train = [(torch.from_numpy(ink.copy()).to(dev), torch.tensor([index[c] for c in t if c in index]), ink.shape[1]) for ink, t, v, _ in lines if not v]
    val = [(torch.from_numpy(ink.copy()).to(dev), t, ink.shape[1]) for ink, t, v, _ in lines if v]
    if limit:
        train, val = train[:limit], val[: max(1, limit // 4)]
    model = LineNet(VARIANTS[name], height, len(chars) + 1).to(dev)
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    gen = torch.Generator(device=dev)
    gen.manual_seed(seed)
    rng = np.random.default_rng(seed)
    log = open(os.path.join(out_dir, f"study-{name}.jsonl"), "w")

    def batches(items, shuffle):
        order = np.argsort([w for *_, w in items], kind="stable")
        groups = [order[i : i + batch] for i in range(0, len(order), batch)]
        if shuffle:
            rng.shuffle(groups)
        for g in groups:
            width = -(-max(items[i][-1] for i in g) // 32) * 32  # few distinct shapes
            x = torch.zeros(len(g), 1, height, width, device=dev)
            for k, i in enumerate(g):
                ink = items[i][0]
                x[k, 0, :, : ink.shape[1]] = ink.float() / 15
            yield g, x, torch.tensor([items[i][-1] for i in g], device=dev)

    def evaluate():
        model.eval()
        dist = length = 0
        with torch.no_grad():
            for g, x, widths in batches(val, False):
                logits, frames = model(x, widths)
                best = logits.argmax(2).cpu().numpy()
                for k, i in enumerate(g):
                    seq, prev = [], 0
                    for c in best[k, : int(frames[k])]:
                        if c != prev and c != 0:
                            seq.append(chars[c - 1])
                        prev = c
                    truth = val[i][1]
                    dist += edit_distance("".join(seq), truth)
                    length += len(truth)
        model.train()
        return dist / max(1, length)

    started = time.time()
    epoch, best = 0, 1.0
    while time.time() - started < seconds:
        epoch += 1
        total = count = 0
        for g, x, widths in batches(train, True):
            progress = min(1.0, (time.time() - started) / seconds)
            lr = 2e-5 + (1e-3 - 2e-5) * 0.5 * (1 + math.cos(math.pi * progress))
            for group in opt.param_groups:
                group["lr"] = lr
            x = augment(x, gen)
            logits, frames = model(x, widths)
            logp = logits.log_softmax(2).transpose(0, 1).float()
            targets = torch.cat([train[i][1] for i in g])
            lengths = torch.tensor([len(train[i][1]) for i in g])
            loss = F.ctc_loss(logp, targets.to(dev), frames, lengths.to(dev), blank=0, reduction="sum", zero_infinity=True) / len(g)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            total += float(loss.detach()) * len(g)
            count += len(g)
            if time.time() - started > seconds:
                break
        cer = evaluate()
        best = min(best, cer)
        log.write(json.dumps({"epoch": epoch, "seconds": round(time.time() - started, 1), "train_loss": round(total / count, 3), "cer": round(cer, 4), "lr": lr}) + "\n")
        log.flush()
    log.write(json.dumps({"done": True, "variant": name, "params": params, "epochs": epoch, "best_cer": round(best, 4)}) + "\n")
    log.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("data")
    p.add_argument("out")
    p.add_argument("--seconds", type=float, default=420)
    p.add_argument("--variants", default=",".join(VARIANTS))
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--limit", type=int, default=0, help="train on this many lines only (a smoke test)")
    p.add_argument("--one", help=argparse.SUPPRESS)
    a = p.parse_args()
    os.makedirs(a.out, exist_ok=True)
    if a.one:
        torch.set_num_threads(2)
        run_variant(a.one, a.data, a.out, a.seconds, a.batch, a.seed, a.limit)
        return
    procs = [
        subprocess.Popen([sys.executable, __file__, a.data, a.out, "--seconds", str(a.seconds), "--batch", str(a.batch), "--seed", str(a.seed), "--limit", str(a.limit), "--one", v])
        for v in a.variants.split(",")
    ]
    codes = [proc.wait() for proc in procs]
    for v in a.variants.split(","):
        path = os.path.join(a.out, f"study-{v}.jsonl")
        if os.path.exists(path):
            rows = [json.loads(line) for line in open(path)]
            print(v, json.dumps(rows[-1]), "cer by epoch:", [r["cer"] for r in rows if "cer" in r])
    sys.exit(max(codes))


if __name__ == "__main__":
    main()
