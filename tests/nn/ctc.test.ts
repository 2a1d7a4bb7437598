import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../app/base/random.ts';
import { ctcLoss, ctcLossBatch } from '../../app/nn/ctc.ts';

function randomLogits(frames: number, classes: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: frames * classes }, () => (rng.next() - 0.5) * 4);
}

/** -log p(labels) by summing over every path of frames classes that collapses to the labels. */
function bruteForce(logits: Float32Array, frames: number, classes: number, labels: number[], blank = 0): number {
  let total = 0;
  const path = new Array<number>(frames).fill(0);
  const probs = Array.from({ length: frames }, (_, t) => {
    const row = Array.from(logits.subarray(t * classes, (t + 1) * classes));
    const max = Math.max(...row);
    const e = row.map((v) => Math.exp(v - max));
    const z = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / z);
  });
  for (let code = 0; code < classes ** frames; code++) {
    let c = code;
    for (let t = 0; t < frames; t++) {
      path[t] = c % classes;
      c = Math.floor(c / classes);
    }
    const collapsed = path.filter((k, t) => k !== blank && (t === 0 || k !== path[t - 1]));
    if (collapsed.length !== labels.length || collapsed.some((k, i) => k !== labels[i])) continue;
    total += path.reduce((p, k, t) => p * probs[t]![k]!, 1);
  }
  return -Math.log(total);
}

describe('CTC loss', () => {
  it('equals the sum over every alignment, repeated labels included', () => {
    for (const [labels, seed] of [
      [[1, 2], 1],
      [[1, 1], 2],
      [[2], 3],
      [[1, 2, 1], 4],
      [[], 5],
    ] as const) {
      const logits = randomLogits(5, 3, seed);
      expect(ctcLoss({ logits, frames: 5, classes: 3, labels: [...labels] })).toBeCloseTo(bruteForce(logits, 5, 3, [...labels]), 6);
    }
  });

  it('gradient matches finite differences of the loss', () => {
    const [T, C, labels] = [7, 4, [1, 3, 3, 2]];
    const logits = randomLogits(T, C, 9);
    const grad = new Float32Array(T * C);
    ctcLoss({ logits, frames: T, classes: C, labels }, grad);
    const h = 1e-3;
    for (let i = 0; i < T * C; i++) {
      const plus = logits.slice();
      const minus = logits.slice();
      plus[i]! += h;
      minus[i]! -= h;
      const numeric = (ctcLoss({ logits: plus, frames: T, classes: C, labels }) - ctcLoss({ logits: minus, frames: T, classes: C, labels })) / (2 * h);
      expect(grad[i]!).toBeCloseTo(numeric, 3);
    }
  });

  it('a line too long for its frames costs Infinity, or 0 with zeroInfinity, and never NaN', () => {
    const logits = randomLogits(2, 3, 3);
    const grad = new Float32Array(6).fill(7);
    expect(ctcLoss({ logits, frames: 2, classes: 3, labels: [1, 1] }, grad)).toBe(Infinity); // needs 3 frames: 1, blank, 1
    expect([...grad]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(ctcLoss({ logits, frames: 2, classes: 3, labels: [1, 1] }, grad, { zeroInfinity: true })).toBe(0);
    expect(() => ctcLoss({ logits, frames: 2, classes: 3, labels: [0] })).toThrow(/label 0 is 0, expected a class in 0\.\.2 other than the blank 0/);
  });

  it('a label the scores all but rule out still costs a finite loss with a finite gradient', () => {
    // exp(-1000) underflows in double precision: the scaled forward pass gives up, log space decides.
    const logits = Float32Array.from([0, -1000, 0]);
    const grad = new Float32Array(3);
    expect(ctcLoss({ logits, frames: 1, classes: 3, labels: [1] }, grad)).toBeCloseTo(1000 + Math.log(2), 6);
    expect([...grad].map((g) => Number(g.toFixed(6)))).toEqual([0.5, -1, 0.5]);
  });

  it('a padded batch gives each line its own loss and no gradient on the padding', () => {
    const [B, T, C] = [2, 6, 4];
    const logits = randomLogits(B * T, C, 11);
    const grad = new Float32Array(B * T * C);
    const losses = ctcLossBatch({ logits, batch: B, frames: T, classes: C, frameCounts: [6, 4], labels: [[1, 2], [3]] }, grad);
    expect(losses[0]).toBeCloseTo(ctcLoss({ logits: logits.subarray(0, T * C), frames: T, classes: C, labels: [1, 2] }), 10);
    expect(losses[1]).toBeCloseTo(ctcLoss({ logits: logits.subarray(T * C, T * C + 4 * C), frames: 4, classes: C, labels: [3] }), 10);
    expect([...grad.subarray(T * C + 4 * C)].every((g) => g === 0)).toBe(true);
  });
});

const torchCheck = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
const hasTorch = torchCheck.status === 0;
const onCi = process.env.CI === 'true' || process.env.CI === '1';
if (!hasTorch && !onCi) console.warn('skipping the PyTorch comparison of CTC: python3-torch is not installed (apt-get install python3-torch)');

// .ci/run installs python3-torch, so on CI its absence is a failure, not a skip.
it.runIf(onCi && !hasTorch)('CI has python3-torch for the CTC comparison', () => {
  throw new Error('CI: /usr/bin/python3 cannot import torch; .ci/run should have installed python3-torch');
});

describe.runIf(hasTorch)('CTC loss against PyTorch nn.CTCLoss', () => {
  it('losses and gradients agree on a batch of lines of different lengths, with repeats', () => {
    // The fourth line is as long as a real one: 300 frames, 120 labels (scaled variables over many frames).
    const [B, T, C] = [4, 300, 6];
    const logits = randomLogits(B * T, C, 21);
    const frameCounts = [12, 9, 5, 300];
    const rng = createRng(5);
    const labels = [[1, 2, 2, 3, 5], [4, 4, 4], [2], Array.from({ length: 120 }, () => 1 + Math.floor(rng.next() * 5))];
    const grad = new Float32Array(B * T * C);
    const ours = ctcLossBatch({ logits, batch: B, frames: T, classes: C, frameCounts, labels }, grad);
    const script = `
import json, sys, torch
d = json.load(sys.stdin)
B, T, C = d['B'], d['T'], d['C']
x = torch.tensor(d['logits'], dtype=torch.float64).reshape(B, T, C).requires_grad_()
logp = torch.log_softmax(x, dim=2).transpose(0, 1)
targets = torch.tensor([l for ls in d['labels'] for l in ls], dtype=torch.long)
loss = torch.nn.CTCLoss(blank=0, reduction='none')(logp, targets, torch.tensor(d['frames']), torch.tensor([len(l) for l in d['labels']]))
loss.sum().backward()
print(json.dumps({'loss': loss.tolist(), 'grad': x.grad.reshape(-1).tolist()}))`;
    const run = spawnSync('/usr/bin/python3', ['-c', script], {
      input: JSON.stringify({ B, T, C, logits: [...logits], frames: frameCounts, labels }),
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    const torch = JSON.parse(run.stdout) as { loss: number[]; grad: number[] };
    torch.loss.forEach((l, n) => expect(ours[n]).toBeCloseTo(l, 5));
    let worst = 0;
    torch.grad.forEach((g, i) => (worst = Math.max(worst, Math.abs(g - grad[i]!))));
    expect(worst).toBeLessThan(1e-5);
  });
});
