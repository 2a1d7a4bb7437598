"""One training epoch of the course MLP (1024-64-36, sigmoid hidden, softmax + cross-entropy,
mini-batch SGD, batch 32) in numpy, float32, on random data of the glyph shape.

The reference for bench/mlp-epoch.ts: same shapes, dtype, batch size and update rule.
Prints one JSON line: {"seconds": median of 3 after a warm-up, "blas": ..., "threads": ...}.
"""
import json
import sys
import time

import numpy as np

COUNT, INPUTS, HIDDEN, CLASSES, BATCH, LR = 10_800, 1024, 64, 36, 32, 0.01


def blas_name():
    try:
        from threadpoolctl import threadpool_info
        info = [f"{p.get('internal_api')} {p.get('version')} ({p.get('num_threads')} threads)" for p in threadpool_info()]
        if info:
            return '; '.join(info)
    except ImportError:
        pass
    try:
        config = np.show_config(mode='dicts')
        blas = config['Build Dependencies']['blas']
        return f"{blas.get('name')} {blas.get('version')}"
    except Exception:  # older numpy without mode='dicts'
        return 'unknown'


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def epoch(x, y, params, rng):
    w1, b1, w2, b2 = params
    order = rng.permutation(COUNT)
    total = 0.0
    for start in range(0, COUNT, BATCH):
        idx = order[start:start + BATCH]
        xb, yb = x[idx], y[idx]
        n = xb.shape[0]
        h = sigmoid(xb @ w1 + b1)
        z = h @ w2 + b2
        z = z - z.max(axis=1, keepdims=True)
        e = np.exp(z)
        p = e / e.sum(axis=1, keepdims=True)
        total += -np.log(p[np.arange(n), yb] + 1e-12).sum()
        d2 = p
        d2[np.arange(n), yb] -= 1.0
        d2 /= n
        gw2 = h.T @ d2
        gb2 = d2.sum(axis=0)
        d1 = (d2 @ w2.T) * h * (1.0 - h)
        gw1 = xb.T @ d1
        gb1 = d1.sum(axis=0)
        w1 -= LR * gw1
        b1 -= LR * gb1
        w2 -= LR * gw2
        b2 -= LR * gb2
    return total / COUNT


def main():
    rng = np.random.default_rng(1)
    x = rng.random((COUNT, INPUTS), dtype=np.float32)
    y = rng.integers(0, CLASSES, COUNT)
    lim1 = np.sqrt(6 / (INPUTS + HIDDEN))
    lim2 = np.sqrt(6 / (HIDDEN + CLASSES))
    params = [
        rng.uniform(-lim1, lim1, (INPUTS, HIDDEN)).astype(np.float32),
        np.zeros(HIDDEN, np.float32),
        rng.uniform(-lim2, lim2, (HIDDEN, CLASSES)).astype(np.float32),
        np.zeros(CLASSES, np.float32),
    ]
    epoch(x, y, params, rng)  # warm-up
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        loss = epoch(x, y, params, rng)
        times.append(time.perf_counter() - t0)
    assert params[0].dtype == np.float32 and np.isfinite(loss)
    print(json.dumps({'seconds': sorted(times)[1], 'blas': blas_name(), 'numpy': np.__version__, 'loss': float(loss), 'gemm_gflops': gemm_rates()}))


def gemm_rates():
    """GFLOP/s of float32 matrix products: the epoch's own (batch 32 by 1024 by 64, forward and
    the weight gradient) and a large one held in cache (256 x 1024 x 256), best of 5."""
    rng = np.random.default_rng(2)
    rates = {}
    for name, (m, k, n, transposed) in {'mlp': (32, 1024, 64, False), 'mlp_grad': (1024, 32, 64, True), 'large': (256, 1024, 256, False)}.items():
        a = rng.random((k, m) if transposed else (m, k), dtype=np.float32)
        b = rng.random((k, n), dtype=np.float32)
        reps = max(1, int(2e9 / (2 * m * n * k)))
        best = float('inf')
        for _ in range(5):
            t0 = time.perf_counter()
            for _ in range(reps):
                (a.T @ b) if transposed else (a @ b)
            best = min(best, time.perf_counter() - t0)
        rates[name] = 2 * m * n * k * reps / best / 1e9
    return rates


if __name__ == '__main__':
    sys.exit(main())
