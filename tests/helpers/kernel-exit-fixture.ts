// Run as a child process by threads.test.ts: trains a few batches (on kernel threads when the
// backend has them), prints the backend, and must exit by itself; with DISPOSE=1 it awaits
// dispose() first and must still get to print after it; with NO_WEBASSEMBLY=1 it removes
// WebAssembly first, so the engine must fall back to the TypeScript kernels.
import { createRng } from '../../app/base/random.ts';
import { backendInfo, dispose, mlp, ready, SGD, trainEpoch } from '../../app/nn/index.ts';

if (process.env.NO_WEBASSEMBLY) delete (globalThis as { WebAssembly?: unknown }).WebAssembly;
const rng = createRng(1);
const count = 256;
const x = Float32Array.from({ length: count * 1024 }, () => rng.next());
const y = Int32Array.from({ length: count }, () => rng.int(36));
const net = mlp([1024, 64, 36], rng);
await ready();
const { meanLoss } = trainEpoch(net, new SGD(net.params(), { learningRate: 0.01 }), x, y, count, { batchSize: 32, rng });
const info = backendInfo();
if (process.env.DISPOSE) await dispose();
console.log(JSON.stringify({ ...info, meanLoss, disposed: Boolean(process.env.DISPOSE) }));
