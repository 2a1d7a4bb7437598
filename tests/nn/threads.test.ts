import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '../../app/base/random.ts';
import { backendInfo, dispose, kernels, setThreads } from '../../app/nn/backend.ts';
import { mlp } from '../../app/nn/builders.ts';
import { SGD } from '../../app/nn/optim.ts';
import { trainEpoch } from '../../app/nn/train.ts';
import { WasmHeap } from '../../app/nn/kernels/heap.ts';
import { loadSimd, WasmKernels } from '../../app/nn/kernels/wasm.ts';

describe('kernel calls split across kernel threads', () => {
  const simd = loadSimd();
  const heap = new WasmHeap(simd.memory, simd.exports.heapBase());
  const one = new WasmKernels(simd, heap, 1);
  const three = new WasmKernels(simd, heap, 3);
  afterAll(() => three.closeTeam());
  const rng = createRng(31);
  const random = (n: number): Float32Array => {
    const a = heap.float32(n);
    for (let i = 0; i < n; i++) a[i] = rng.normal();
    return a;
  };

  it('give the same bits as one thread (odd sizes, every split), computed by the kernel threads', async () => {
    await three.ready();
    three.threadsOnly = true; // the main thread only waits: every chunk below runs on a kernel thread
    const [m, n, k] = [37, 70, 1030];
    const a = random(m * k),
      b = random(k * n),
      bias = random(n),
      bt = random(n * k),
      at = random(k * m);
    const c1 = heap.float32(m * n),
      c3 = heap.float32(m * n);
    one.gemmNN(m, n, k, a, b, c1, bias);
    three.gemmNN(m, n, k, a, b, c3, bias);
    expect(c3).toEqual(c1);
    one.gemmNT(m, n, k, a, bt, c1);
    three.gemmNT(m, n, k, a, bt, c3);
    expect(c3).toEqual(c1);
    const g1 = heap.float32(m * n),
      g3 = heap.float32(m * n);
    const dy = random(k * n);
    one.gemmTN(m, n, k, at, dy, g1);
    three.gemmTN(m, n, k, at, dy, g3);
    expect(g3).toEqual(g1);
    const w1 = random(100_003),
      w3 = heap.float32(w1.length),
      g = random(w1.length),
      v1 = heap.float32(w1.length),
      v3 = heap.float32(w1.length);
    w3.set(w1);
    one.sgdStep(w1, g, v1, w1.length, 0.1, 0.9, 0.001);
    three.sgdStep(w3, g, v3, w3.length, 0.1, 0.9, 0.001);
    expect(w3).toEqual(w1);
    const wp = random(k * n),
      wp1 = heap.float32(wp.length);
    wp1.set(wp);
    one.sgdStepProduct(k, n, m, at, dy.subarray(0, m * n), wp1, null, 0.1, 0, 0);
    three.sgdStepProduct(k, n, m, at, dy.subarray(0, m * n), wp, null, 0.1, 0, 0);
    expect(wp).toEqual(wp1);
    expect(three.teamCounts.shared).toBe(5);
    expect(three.fallbackCalls).toBe(0);
    three.threadsOnly = false;
  });

  it('train the course net to the same weights as one thread', async () => {
    const train = async (threads: number): Promise<Float32Array> => {
      await setThreads(threads);
      const r = createRng(32);
      const x = Float32Array.from({ length: 200 * 1024 }, () => r.next());
      const y = Int32Array.from({ length: 200 }, () => r.int(36));
      const net = mlp([1024, 64, 36], r);
      trainEpoch(net, new SGD(net.params(), { learningRate: 0.05, momentum: 0.9 }), x, y, 200, { batchSize: 32, rng: r });
      return Float32Array.from(net.params()[0]!.value);
    };
    const before = backendInfo().team?.shared ?? 0;
    // Every call that may be shared is, whatever sharing measured in the files before this one (the engine is the process's).
    const engine = kernels();
    if (engine instanceof WasmKernels) engine.threadsOnly = true;
    const parallel = await train(2).finally(() => {
      if (engine instanceof WasmKernels) engine.threadsOnly = false;
    });
    expect(backendInfo().threads).toBe(2);
    if (backendInfo().kind !== 'typescript') expect(backendInfo().team!.shared).toBeGreaterThan(before);
    expect(parallel).toEqual(await train(1));
    await dispose();
  });
});

describe('a process that used the threads', () => {
  const fixture = fileURLToPath(new URL('../helpers/kernel-exit-fixture.ts', import.meta.url));
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--import', 'tsx', fixture], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });

  it('exits by itself under tsx, without dispose()', () => {
    const child = run({ HWR_NN_THREADS: '2' });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    const info = JSON.parse(child.stdout);
    expect(info.kind).toMatch(/^wasm/);
    expect(info.threads).toBe(2);
    expect(info.team.shared).toBeGreaterThan(0);
    expect(Number.isFinite(info.meanLoss)).toBe(true);
  });

  it('gets past `await dispose()`, which stops the kernel threads', () => {
    const child = run({ HWR_NN_THREADS: '2', DISPOSE: '1' });
    expect(child.status).toBe(0);
    expect(JSON.parse(child.stdout)).toMatchObject({ threads: 2, disposed: true });
  });

  it('falls back to the TypeScript kernels, saying why, when WebAssembly cannot load', () => {
    const child = run({ NO_WEBASSEMBLY: '1' });
    expect(child.status).toBe(0);
    expect(child.stderr).toMatch(/WebAssembly kernels failed to load: .*no WebAssembly.*using the TypeScript kernels/);
    const info = JSON.parse(child.stdout);
    expect(info).toMatchObject({ kind: 'typescript', threads: 1 });
    expect(Number.isFinite(info.meanLoss)).toBe(true);
  });

  it('trains on the TypeScript kernels when told to (the fallback)', () => {
    const child = run({ HWR_NN_BACKEND: 'typescript' });
    expect(child.status).toBe(0);
    const info = JSON.parse(child.stdout);
    expect(info.kind).toBe('typescript');
    expect(Number.isFinite(info.meanLoss)).toBe(true);
  });
});
