import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { selectBackend, type ModuleImporter } from './backend.ts';

/**
 * The backend chain with the native packages mocked by an injected importer: tfjs-node-gpu →
 * tfjs-node → wasm → cpu. A mocked native package "installs" by registering a backend named
 * 'tensorflow' (backed by the cpu implementation), as the real packages do.
 */

const cpuFactory = tf.findBackendFactory('cpu')!;

function importer(available: Record<string, boolean>, calls: string[] = []): ModuleImporter {
  return async (specifier) => {
    calls.push(specifier);
    if (specifier === '@tensorflow/tfjs-backend-wasm') return import('@tensorflow/tfjs-backend-wasm');
    if (!available[specifier]) throw Object.assign(new Error(`Cannot find package '${specifier}'`), { code: 'ERR_MODULE_NOT_FOUND' });
    console.log(`${specifier} loaded: native banner that must not reach the CLI`);
    tf.registerBackend('tensorflow', cpuFactory, 3);
    return {};
  };
}

afterEach(async () => {
  if (tf.findBackend('tensorflow') || tf.findBackendFactory('tensorflow')) tf.removeBackend('tensorflow');
  await tf.setBackend('cpu');
});

describe('selectBackend', () => {
  it('keeps the tfjs "install tfjs-node" banner out of the output', async () => {
    const warn = vi.spyOn(console, 'warn');
    const log = vi.spyOn(console, 'log');
    const choice = await selectBackend({ start: 'cpu' });
    tf.tensor([1, 2, 3]).dispose(); // the banner comes with the cpu backend's first tensor
    expect(choice.name).toBe('cpu');
    expect(warn).not.toHaveBeenCalled();
    expect(log).not.toHaveBeenCalled();
    warn.mockRestore();
    log.mockRestore();
  });

  it('takes tfjs-node-gpu first when it loads', async () => {
    const calls: string[] = [];
    const choice = await selectBackend({ importer: importer({ '@tensorflow/tfjs-node-gpu': true, '@tensorflow/tfjs-node': true }, calls), start: '' });
    expect(choice).toMatchObject({ name: 'tensorflow', package: '@tensorflow/tfjs-node-gpu', singleThreaded: false, skipped: [] });
    expect(choice.label).toMatch(/CUDA/);
    expect(calls).toEqual(['@tensorflow/tfjs-node-gpu']);
    expect(tf.getBackend()).toBe('tensorflow');
  });

  it('falls back to tfjs-node when the GPU package is missing, muting what it prints', async () => {
    const log = vi.spyOn(console, 'log');
    const choice = await selectBackend({ importer: importer({ '@tensorflow/tfjs-node': true }), start: '' });
    expect(choice.package).toBe('@tensorflow/tfjs-node');
    expect(choice.name).toBe('tensorflow');
    expect(choice.skipped).toHaveLength(1);
    expect(choice.skipped[0]).toMatch(/tfjs-node-gpu.*not installed/);
    expect(log).not.toHaveBeenCalled();
    log.mockRestore();
  });

  it('falls back to wasm (with the training kernels) when neither native package loads', async () => {
    const choice = await selectBackend({ importer: importer({}), start: '' });
    expect(choice.name).toBe('wasm');
    expect(choice.singleThreaded).toBe(true);
    expect(choice.label).toMatch(/tfjs-backend-wasm .*SIMD/);
    expect(choice.skipped.map((s) => s.split(':')[0])).toEqual(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    expect(tf.getBackend()).toBe('wasm');
  });

  it('falls back to the plain-JS cpu backend when wasm cannot start', async () => {
    const broken: ModuleImporter = async (specifier) => {
      throw new Error(`${specifier} is broken here`);
    };
    const choice = await selectBackend({ importer: broken, start: '' });
    expect(choice.name).toBe('cpu');
    expect(choice.skipped).toHaveLength(3);
  });

  it('rejects an unknown start with the known names', async () => {
    await expect(selectBackend({ start: 'metal' })).rejects.toThrow(/unknown TensorFlow.js backend "metal".*tfjs-node-gpu/);
  });
});
