import type { Rng } from '../base/random.ts';
import type { DType } from './backend.ts';
import { Activation, Dense, Softmax, type Layer } from './layers.ts';
import { Network } from './network.ts';
import { CLASSES_36, GLYPH_VALUES } from '../contract.ts';

export type HiddenActivation = 'sigmoid' | 'relu' | 'tanh';

export interface BuildOptions {
  dtype?: DType;
  name?: string;
  /** Class names; default CLASSES_36 when there are 36 outputs, else none. */
  classes?: readonly string[];
}

/**
 * The course classifier: dense layers of the given sizes ([inputs, hidden..., classes]), the
 * hidden activation after each hidden layer (sigmoid, as in the course, unless told), softmax
 * at the output, Xavier-initialised from rng. `mlp([1024, 64, 36], rng)` is the course net.
 */
export function mlp(sizes: readonly number[], hidden: HiddenActivation, rng: Rng, options?: BuildOptions): Network;
export function mlp(sizes: readonly number[], rng: Rng, options?: BuildOptions): Network;
export function mlp(sizes: readonly number[], ...rest: [HiddenActivation, Rng, BuildOptions?] | [Rng, BuildOptions?]): Network {
  const [hidden, rng, options = {}] =
    typeof rest[0] === 'string' ? (rest as [HiddenActivation, Rng, BuildOptions?]) : ['sigmoid' as const, ...(rest as [Rng, BuildOptions?])];
  if (sizes.length < 2) throw new RangeError(`mlp: give at least [inputs, outputs], got [${sizes.join(', ')}]`);
  if (!['sigmoid', 'relu', 'tanh'].includes(hidden)) throw new Error(`mlp: hidden activation must be sigmoid, relu or tanh, got "${hidden}"`);
  const dtype = options.dtype ?? 'float32';
  const layers: Layer[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new Dense(sizes[i]!, sizes[i + 1]!, { rng, dtype }));
    layers.push(i + 2 < sizes.length ? new Activation(hidden, sizes[i + 1]!, dtype) : new Softmax(sizes[i + 1]!, dtype));
  }
  const outputs = sizes[sizes.length - 1]!;
  const classes = options.classes ?? (outputs === CLASSES_36.length ? CLASSES_36 : undefined);
  return new Network(layers, { name: options.name ?? 'mlp', ...(classes ? { classes } : {}) });
}

/**
 * The course autoencoder, 1024-32-32-32-1024: ReLU after each hidden layer, sigmoid at the
 * output (pixels in [0, 1]). Train it with squaredError and SGD with momentum.
 */
export function autoencoder(rng: Rng, options: Omit<BuildOptions, 'classes'> & { sizes?: readonly number[] } = {}): Network {
  const sizes = options.sizes ?? [GLYPH_VALUES, 32, 32, 32, GLYPH_VALUES];
  const dtype = options.dtype ?? 'float32';
  if (sizes[0] !== sizes[sizes.length - 1]) throw new RangeError(`autoencoder: output size ${sizes[sizes.length - 1]} must equal input size ${sizes[0]}`);
  const layers: Layer[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new Dense(sizes[i]!, sizes[i + 1]!, { rng, dtype }));
    layers.push(new Activation(i + 2 < sizes.length ? 'relu' : 'sigmoid', sizes[i + 1]!, dtype));
  }
  return new Network(layers, { name: options.name ?? 'ae' });
}
