import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { readOnnxInfo } from './import.ts';

/**
 * The one adapter over onnxruntime-node: loads a model file (or bytes), runs float32 batches
 * through it, and exposes what the file says about itself (classes, input shape, metadata).
 */

export interface OnnxLoadOptions {
  /**
   * Threads for one op. Default: up to 2. The models are small (a batch of glyphs takes
   * milliseconds) and on a 2-core laptop the UI and the image pipeline need the other core
   * as much as ORT does, so more threads only add synchronisation.
   */
  intraOpThreads?: number;
  /** Names the model in error messages when loading from bytes. */
  label?: string;
}

export class OnnxModel {
  private constructor(
    private readonly session: ort.InferenceSession,
    /** The path, or the label given for bytes: used in every error message. */
    readonly source: string,
    readonly inputShape: number[],
    readonly metadata: Record<string, string>,
    readonly classes?: string[],
    readonly name?: string,
  ) {}

  static async load(pathOrBytes: string | Uint8Array, options: OnnxLoadOptions = {}): Promise<OnnxModel> {
    const source = typeof pathOrBytes === 'string' ? pathOrBytes : (options.label ?? '<ONNX bytes>');
    const fail = (why: string): Error => new Error(`Cannot load ONNX model ${source}: ${why}`);
    let bytes: Uint8Array;
    if (typeof pathOrBytes === 'string') {
      try {
        bytes = await readFile(pathOrBytes);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw fail(code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'it is a folder' : (err as Error).message);
      }
    } else {
      bytes = pathOrBytes;
    }
    if (bytes.length === 0) throw fail('the file is empty');

    let info;
    try {
      info = readOnnxInfo(bytes);
    } catch (err) {
      throw fail((err as Error).message);
    }
    // HWR_ORT_THREADS: a queue worker runs one thread, so that N workers use N cores without fighting.
    const fromEnv = process.env.HWR_ORT_THREADS ? Number(process.env.HWR_ORT_THREADS) : undefined;
    const threads = options.intraOpThreads ?? fromEnv ?? Math.min(2, availableParallelism());
    if (!Number.isInteger(threads) || threads < 1) throw fail(`intraOpThreads must be a positive integer, got ${threads}`);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
        logSeverityLevel: 3,
      });
    } catch (err) {
      throw fail(`onnxruntime rejected it: ${(err as Error).message}`);
    }
    if (session.inputNames.length !== 1 || session.outputNames.length !== 1) {
      await session.release();
      throw fail(`expected one input and one output, found ${session.inputNames.length} and ${session.outputNames.length}`);
    }
    return new OnnxModel(session, source, info.inputShape, info.metadata, info.classes, info.name);
  }

  /** Values per sample in the input (the product of inputShape). */
  get inputSize(): number {
    return this.inputShape.reduce((a, b) => a * b, 1);
  }

  /** Runs batch × inputShape float32 values (NHWC for images); returns batch × output values. */
  async run(input: Float32Array, batch: number): Promise<Float32Array> {
    if (!Number.isInteger(batch) || batch < 1) throw new Error(`${this.source}: batch must be a positive integer, got ${batch}`);
    if (input.length !== batch * this.inputSize) {
      throw new Error(`${this.source}: input holds ${input.length} values, expected ${batch} × [${this.inputShape.join(', ')}] = ${batch * this.inputSize}`);
    }
    const tensor = new ort.Tensor('float32', input, [batch, ...this.inputShape]);
    const results = await this.session.run({ [this.session.inputNames[0]!]: tensor });
    const output = results[this.session.outputNames[0]!]!;
    if (output.type !== 'float32') throw new Error(`${this.source}: output is ${output.type}, expected float32`);
    return output.data as Float32Array;
  }

  /**
   * Runs an input of any allowed shape (a batch of lines of one width, for a model that takes any
   * width): `dims` is [batch, ...sample]; returns the output with its shape.
   */
  async runShaped(input: Float32Array, dims: readonly number[]): Promise<{ data: Float32Array; dims: number[] }> {
    const sample = dims.slice(1);
    const fits =
      sample.length === this.inputShape.length &&
      sample.every((d, i) => Number.isInteger(d) && d > 0 && (this.inputShape[i] === -1 || this.inputShape[i] === d));
    if (!fits || !(dims[0]! >= 1))
      throw new Error(`${this.source}: input shape [${dims.join(', ')}] does not fit [N, ${this.inputShape.join(', ')}] (-1: any size)`);
    if (input.length !== dims.reduce((a, b) => a * b, 1)) throw new Error(`${this.source}: input holds ${input.length} values, not [${dims.join(', ')}]`);
    const tensor = new ort.Tensor('float32', input, [...dims]);
    const results = await this.session.run({ [this.session.inputNames[0]!]: tensor });
    const output = results[this.session.outputNames[0]!]!;
    if (output.type !== 'float32') throw new Error(`${this.source}: output is ${output.type}, expected float32`);
    return { data: output.data as Float32Array, dims: [...output.dims] };
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
