import { backendInfo, type DType } from './backend.ts';
import type { FloatArray } from './kernels/types.ts';
import { Activation, Dense, Flatten, Softmax, type DeferredProduct, type Layer, type Param } from './layers.ts';
import type { NetworkSpec } from './spec.ts';

export interface NetworkOptions {
  /** Short name carried into the spec ("mlp", "ae"). */
  name: string;
  /** Per-sample input shape for the spec; default [inputSize]. */
  inputShape?: readonly number[];
  /** Class names of a classifier (output i is classes[i]). */
  classes?: readonly string[];
  metadata?: Readonly<Record<string, string>>;
}

/** A layer's parameter under its name in the network. */
class NamedParam implements Param {
  constructor(
    readonly name: string,
    private readonly param: Param,
  ) {}
  get value(): FloatArray {
    return this.param.value;
  }
  get grad(): FloatArray {
    return this.param.grad;
  }
  get deferred(): DeferredProduct | null {
    return this.param.deferred ?? null;
  }
}

/** A stack of layers, run on row-major batches; converts exactly to and from NetworkSpec. */
export class Network {
  readonly name: string;
  readonly inputShape: readonly number[];
  readonly classes?: readonly string[];
  metadata: Record<string, string>;

  constructor(
    readonly layers: readonly Layer[],
    options: NetworkOptions,
  ) {
    if (layers.length === 0) throw new Error('Network: no layers');
    for (let i = 1; i < layers.length; i++) {
      if (layers[i]!.inputSize !== layers[i - 1]!.outputSize) {
        throw new RangeError(`Network: layer ${i} takes ${layers[i]!.inputSize} inputs but layer ${i - 1} gives ${layers[i - 1]!.outputSize}`);
      }
      if (layers[i]!.dtype !== layers[0]!.dtype) throw new Error(`Network: layer ${i} is ${layers[i]!.dtype}, layer 0 is ${layers[0]!.dtype}`);
    }
    this.name = options.name;
    this.inputShape = options.inputShape ? [...options.inputShape] : [layers[0]!.inputSize];
    const inputs = this.inputShape.reduce((a, b) => a * b, 1);
    if (inputs !== layers[0]!.inputSize)
      throw new RangeError(`Network: input shape [${this.inputShape.join(', ')}] has ${inputs} values, layer 0 takes ${layers[0]!.inputSize}`);
    if (options.classes) {
      if (options.classes.length !== this.outputSize) throw new RangeError(`Network: ${options.classes.length} classes for ${this.outputSize} outputs`);
      this.classes = [...options.classes];
    }
    this.metadata = { ...options.metadata };
  }

  get inputSize(): number {
    return this.layers[0]!.inputSize;
  }

  get outputSize(): number {
    return this.layers[this.layers.length - 1]!.outputSize;
  }

  get dtype(): DType {
    return this.layers[0]!.dtype;
  }

  /** The kernels this network runs on, for logs and model cards (e.g. "wasm-relaxed-simd, 2 threads"). */
  get backend(): string {
    if (this.dtype === 'float64') return 'typescript (float64)';
    const info = backendInfo();
    return `${info.kind}, ${info.threads} thread${info.threads === 1 ? '' : 's'}`;
  }

  /** Whether the last layer is a softmax (so training with cross-entropy stops at the logits). */
  get endsInSoftmax(): boolean {
    return this.layers[this.layers.length - 1] instanceof Softmax;
  }

  /** Runs the first `depth` layers (all by default) on n rows; the result belongs to the last layer run. */
  forward(x: FloatArray, n: number, depth = this.layers.length): FloatArray {
    let y = x;
    for (let i = 0; i < depth; i++) y = this.layers[i]!.forward(y, n);
    return y;
  }

  /**
   * Backpropagates dL/d(output of layer depth−1) through the first `depth` layers, setting every
   * parameter gradient. Returns dL/d(input) when inputGrad is true, else null (and skips the
   * first layer's input-gradient product).
   */
  backward(dy: FloatArray, n: number, depth = this.layers.length, inputGrad = false, defer = false): FloatArray | null {
    let d: FloatArray | null = dy;
    for (let i = depth - 1; i >= 0; i--) d = this.layers[i]!.backward(d!, n, i > 0 || inputGrad, defer);
    return d;
  }

  /** Computes deferred gradients that the optimiser did not use (see Param.deferred). */
  settle(): void {
    for (const layer of this.layers) layer.settle?.();
  }

  /** Every parameter, named by layer (`layers.0.weights`); the same objects the layers update. */
  params(): Param[] {
    return this.layers.flatMap((layer, i) => layer.params().map((p) => new NamedParam(`layers.${i}.${p.name}`, p)));
  }

  /**
   * The network in the exchange format; arrays are copies. `overrides` replace the network's
   * own name, input shape, classes or metadata in the result (a key given as undefined
   * removes that field); they are taken as given.
   */
  toSpec(overrides: Partial<Pick<NetworkSpec, 'name' | 'inputShape' | 'classes' | 'metadata'>> = {}): NetworkSpec {
    const spec: NetworkSpec = { name: this.name, inputShape: [...this.inputShape], layers: this.layers.map((l) => l.toSpec()) };
    if (this.classes) spec.classes = [...this.classes];
    if (Object.keys(this.metadata).length > 0) spec.metadata = { ...this.metadata };
    if ('name' in overrides && overrides.name !== undefined) spec.name = overrides.name;
    if ('inputShape' in overrides && overrides.inputShape !== undefined) spec.inputShape = [...overrides.inputShape];
    for (const key of ['classes', 'metadata'] as const) {
      if (!(key in overrides)) continue;
      const value = overrides[key];
      if (value === undefined) delete spec[key];
      else if (key === 'classes') spec.classes = [...(value as string[])];
      else spec.metadata = { ...(value as Record<string, string>) };
    }
    return spec;
  }

  /**
   * A network from the exchange format (arrays copied). The engine runs dense networks:
   * dense, activation and flatten layers; conv2d and maxpool2d are rejected by name.
   */
  static fromSpec(spec: NetworkSpec, options: { dtype?: DType } = {}): Network {
    const dtype = options.dtype ?? 'float32';
    if (!Array.isArray(spec.inputShape) || spec.inputShape.length === 0 || !spec.inputShape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new RangeError(`fromSpec: inputShape must be positive integers, got [${spec.inputShape}]`);
    }
    let width = spec.inputShape.reduce((a, b) => a * b, 1);
    const layers = spec.layers.map((layer, i): Layer => {
      switch (layer.kind) {
        case 'dense': {
          if (layer.inputs !== width) throw new RangeError(`fromSpec: layer ${i} (dense) takes ${layer.inputs} inputs but receives ${width}`);
          width = layer.outputs;
          return new Dense(layer.inputs, layer.outputs, { weights: layer.weights, bias: layer.bias, dtype });
        }
        case 'activation':
          return layer.fn === 'softmax' ? new Softmax(width, dtype) : new Activation(layer.fn, width, dtype);
        case 'flatten':
          return new Flatten(width, dtype);
        default:
          throw new Error(`fromSpec: layer ${i} is ${layer.kind}; the engine runs dense networks (dense, activation, flatten) only`);
      }
    });
    return new Network(layers, {
      name: spec.name,
      inputShape: spec.inputShape,
      ...(spec.classes ? { classes: spec.classes } : {}),
      ...(spec.metadata ? { metadata: spec.metadata } : {}),
    });
  }
}
