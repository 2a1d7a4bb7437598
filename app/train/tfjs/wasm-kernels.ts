/**
 * Training kernels for TensorFlow.js's WASM backend, which 4.22 ships for inference only: it
 * has no `Conv2DBackpropFilter` (CNN training throws), its `Conv2DBackpropInput` and
 * `MaxPoolGrad` are naive loops (the input gradient ~4× the forward convolution), and its
 * `BatchMatMul` leaves XNNPACK for a triple loop whenever an operand is transposed — which
 * every dense layer's backward pass does. Registered here for 'wasm':
 *
 * - Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter (stride 1): our SIMD kernels
 *   (kernels/grad.ts → grad-relaxed.wasm with fused multiply-add, or grad.wasm), instantiated
 *   on the backend's own memory so they work in place on its tensors. The forward pass and the
 *   input gradient are one bounds-free convolution over a zero-padded copy (the input gradient
 *   is dY padded by K − 1 − p against W rotated 180° with channels swapped); the filter
 *   gradient dW[ky, kx, i, o] = Σ X[b, y + ky − p, x + kx − p, i] · dY[b, y, x, o] sweeps each
 *   image once per tap with 4 × 8 register tiles.
 * - The other cases (strides, dilations, channel counts not a multiple of 4) are built from the
 *   backend's XNNPACK kernels, as TensorFlow writes them: the filter gradient is conv2d(X as
 *   ci × H × W × N, dY as OH × OW × N × co, dilation = stride); the input gradient a
 *   convolution of dY dilated by the stride.
 * - MaxPoolGrad: first maximum of each window (row-major; ties and NaN as TensorFlow and the
 *   'cpu' backend) gets dY, 4 channels at a time.
 * - HwrBiasReluMask, HwrReluBiasGrad (fused-relu.ts): a layer's bias, ReLU and line mask in
 *   one pass, and their gradient in one pass back.
 * - Identity: shares the data instead of copying it (the tape clones what it saves).
 * - BatchMatMul: transposed operands transposed explicitly (fast), then our kernel as a 1×1
 *   convolution (or XNNPACK when the columns are not a multiple of 4).
 *
 * HWR_WASM_KERNELS=off keeps only the XNNPACK/JavaScript paths, =simd avoids relaxed SIMD.
 * Every kernel is checked against the plain-JS 'cpu' backend (wasm-kernels.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { chooseSimdBuild, webAssembly } from '../../nn/kernels/webassembly.ts';
import { BIAS_RELU_MASK, RELU_BIAS_GRAD, biasReluMaskJs, maskedShape, reluBiasGradJs, validOf } from './fused-relu.ts';

type TensorInfo = tf.TensorInfo;
type ExplicitPadding = [[number, number], [number, number], [number, number], [number, number]];

/** The parts of tfjs-backend-wasm's BackendWasm that the kernels use. */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
  disposeData(dataId: object): boolean;
  incRef(dataId: object): void;
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  wasm: { asm?: { memory?: unknown } };
}

interface GradKernels {
  conv2dPadded(p: number, w: number, y: number, n: number, hp: number, wp: number, ci: number, co: number, kh: number, kw: number): void;
  padImage(x: number, p: number, n: number, h: number, w: number, c: number, top: number, left: number, hp: number, wp: number): void;
  conv2dFilterGrad(
    x: number,
    dy: number,
    dw: number,
    n: number,
    h: number,
    w: number,
    ci: number,
    oh: number,
    ow: number,
    co: number,
    kh: number,
    kw: number,
    top: number,
    left: number,
  ): void;
  maxPoolGrad(
    x: number,
    dy: number,
    dx: number,
    n: number,
    h: number,
    w: number,
    c: number,
    oh: number,
    ow: number,
    fh: number,
    fw: number,
    sh: number,
    sw: number,
    top: number,
    left: number,
  ): void;
  biasReluMask(x: number, b: number, y: number, rows: number, cols: number, c: number, valid: number): void;
  reluBiasGrad(dy: number, y: number, dx: number, db: number, count: number, c: number): void;
}

type KernelBuild = 'relaxed-simd' | 'simd';
let gradKernels: GradKernels | null | undefined;
let gradVariant: KernelBuild | 'none' = 'none';
let forcedBuild: KernelBuild | 'off' | undefined;

/**
 * The build of our kernels this engine runs: with relaxed SIMD (fused multiply-add) where the
 * engine has it — Node 20's V8 has it behind a flag, which is switched on here — else plain SIMD.
 */
function kernelBytes(): { bytes: Uint8Array; variant: KernelBuild } {
  const forced = forcedBuild === 'relaxed-simd' ? 'relaxed' : forcedBuild === 'simd' || process.env.HWR_WASM_KERNELS === 'simd' ? 'plain' : undefined;
  const { bytes, relaxed } = chooseSimdBuild(new URL('./kernels/grad-relaxed.wasm', import.meta.url), new URL('./kernels/grad.wasm', import.meta.url), forced);
  return { bytes, variant: relaxed ? 'relaxed-simd' : 'simd' };
}

/** Tests and benchmarks: run a given build of the kernels (or none) from the next kernel call on. */
export function useKernelBuild(build: KernelBuild | 'off' | undefined): void {
  forcedBuild = build;
  gradKernels = undefined;
}

/**
 * Our SIMD kernels (kernels/grad*.wasm), instantiated on the backend's own memory so they work
 * in place on its tensors. Null when that memory is not reachable (a different build of the
 * backend): the kernels then take the XNNPACK/JS paths.
 */
function kernelsFor(backend: WasmBackendLike): GradKernels | null {
  if (gradKernels !== undefined) return gradKernels;
  const memory = backend.wasm?.asm?.memory;
  // HWR_WASM_KERNELS=off: XNNPACK and JavaScript only (for comparisons, or should ours misbehave).
  const off = forcedBuild ? forcedBuild === 'off' : process.env.HWR_WASM_KERNELS === 'off';
  const wasm = webAssembly();
  if (!(memory instanceof wasm.Memory) || off) return (gradKernels = null);
  const { bytes, variant } = kernelBytes();
  gradKernels = new wasm.Instance(new wasm.Module(bytes), { env: { memory } }).exports as unknown as GradKernels;
  gradVariant = variant;
  return gradKernels;
}

/** Instantiates our kernels on the active wasm backend now; returns which build runs. */
export function prepareWasmKernels(backend: unknown): KernelBuild | 'none' {
  kernelsFor(backend as WasmBackendLike);
  return simdKernelVariant();
}

/** Which build of our kernels runs ('none' before the first use or without them). */
export function simdKernelVariant(): KernelBuild | 'none' {
  return gradKernels ? gradVariant : 'none';
}

const address = (backend: WasmBackendLike, t: TensorInfo): number => backend.dataIdMap.get(t.dataId)!.memoryOffset;

const BACKEND = 'wasm';

function run(name: string, inputs: Record<string, TensorInfo>, attrs: Record<string, unknown>, backend: WasmBackendLike): TensorInfo {
  const kernel = tf.getKernel(name, BACKEND);
  if (!kernel) throw new Error(`wasm backend: kernel ${name} is missing`);
  return kernel.kernelFunc({ inputs, attrs: attrs as tf.NamedAttrMap, backend: backend as unknown as tf.KernelBackend }) as TensorInfo;
}

const transpose = (x: TensorInfo, perm: number[], backend: WasmBackendLike) => run('Transpose', { x }, { perm }, backend);

function conv2d(x: TensorInfo, filter: TensorInfo, dilations: [number, number], pad: ExplicitPadding, backend: WasmBackendLike): TensorInfo {
  return run('Conv2D', { x, filter }, { strides: [1, 1], pad, dataFormat: 'NHWC', dilations, dimRoundingMode: undefined }, backend);
}

function checkNhwc(kernel: string, dataFormat: string | undefined): void {
  if (dataFormat === 'NCHW') throw new Error(`${kernel} (wasm): only NHWC is supported, got dataFormat NCHW`);
}

type ConvAttrs = {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | ExplicitPadding;
  dataFormat?: string;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

function convInfo(inShape: number[], filterShape: number[], attrs: ConvAttrs) {
  return tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
}

/** Conv2DBackpropFilter(x, dy) → dW (KH × KW × ci × co). */
function conv2dBackpropFilter(args: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: WasmBackendLike }): TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as ConvAttrs & { filterShape: [number, number, number, number] };
  checkNhwc('Conv2DBackpropFilter', attrs.dataFormat);
  const x = inputs.x!;
  const dy = inputs.dy!;
  const info = convInfo(x.shape, attrs.filterShape, attrs);
  const {
    batchSize: n,
    inHeight: h,
    inWidth: w,
    inChannels: ci,
    outHeight: oh,
    outWidth: ow,
    filterHeight: kh,
    filterWidth: kw,
    strideHeight: sh,
    strideWidth: sw,
  } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const kernels = kernelsFor(backend);
  if (kernels && sh === 1 && sw === 1 && info.outChannels % 4 === 0 && x.dtype === 'float32' && dy.dtype === 'float32') {
    const dw = backend.makeOutput([kh, kw, ci, info.outChannels], 'float32');
    kernels.conv2dFilterGrad(address(backend, x), address(backend, dy), address(backend, dw), n, h, w, ci, oh, ow, info.outChannels, kh, kw, top, left);
    return dw;
  }
  // Padding after the image such that the dilated "filter" (dy) fits exactly KH × KW times.
  let bottom = kh + (oh - 1) * sh - h - top;
  let right = kw + (ow - 1) * sw - w - left;
  const temps: TensorInfo[] = [];
  let source = x;
  if (bottom < 0 || right < 0) {
    // Rows/columns after the last window are never read: crop them.
    source = run('Slice', { x }, { begin: [0, 0, 0, 0], size: [n, h + Math.min(0, bottom), w + Math.min(0, right), ci] }, backend);
    temps.push(source);
    bottom = Math.max(0, bottom);
    right = Math.max(0, right);
  }
  const xT = transpose(source, [3, 1, 2, 0], backend); // ci × H × W × N
  const dyT = transpose(dy, [1, 2, 0, 3], backend); // OH × OW × N × co
  temps.push(xT, dyT);
  const grad = conv2d(
    xT,
    dyT,
    [sh, sw],
    [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ],
    backend,
  ); // ci × KH × KW × co
  temps.push(grad);
  const dw = transpose(grad, [1, 2, 0, 3], backend);
  for (const t of temps) backend.disposeData(t.dataId);
  return dw;
}

/** W (KH × KW × ci × co) → rotated 180° with channels swapped (KH × KW × co × ci). */
function rotateFilter(filter: TensorInfo, backend: WasmBackendLike): TensorInfo {
  const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
  const out = backend.makeOutput([kh, kw, co, ci], 'float32');
  // Views after makeOutput: allocating may grow (and detach) the heap.
  const src = backend.typedArrayFromHeap(filter);
  const dst = backend.typedArrayFromHeap(out);
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      const from = ((kh - 1 - a) * kw + (kw - 1 - b)) * ci * co;
      const to = (a * kw + b) * co * ci;
      for (let i = 0; i < ci; i++) for (let o = 0; o < co; o++) dst[to + o * ci + i] = src[from + i * co + o]!;
    }
  }
  return out;
}

/** dy (N × OH × OW × C) with stride − 1 zeros between pixels. */
function dilate(dy: TensorInfo, sh: number, sw: number, backend: WasmBackendLike): TensorInfo {
  const [n, oh, ow, c] = dy.shape as [number, number, number, number];
  const hd = (oh - 1) * sh + 1;
  const wd = (ow - 1) * sw + 1;
  const out = backend.makeOutput([n, hd, wd, c], 'float32');
  const src = backend.typedArrayFromHeap(dy);
  const dst = backend.typedArrayFromHeap(out);
  dst.fill(0);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < oh; y++) {
      for (let x = 0; x < ow; x++) {
        const from = ((b * oh + y) * ow + x) * c;
        dst.set(src.subarray(from, from + c), ((b * hd + y * sh) * wd + x * sw) * c);
      }
    }
  }
  return out;
}

let builtinBackpropInput: tf.KernelConfig | undefined;
let builtinConv2D: tf.KernelConfig | undefined;

/**
 * Stride-1 convolution through our SIMD kernel: the input is copied into a zero border (unless
 * no padding is needed), then a bounds-free 'valid' convolution runs over it. Null when the
 * kernel does not apply (no SIMD kernels, or output channels not a multiple of 4).
 */
function paddedConv(
  backend: WasmBackendLike,
  x: TensorInfo,
  filter: TensorInfo,
  outShape: number[],
  top: number,
  left: number,
  bottom: number,
  right: number,
): TensorInfo | null {
  const kernels = kernelsFor(backend);
  const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
  if (!kernels || co % 4 !== 0 || x.dtype !== 'float32' || filter.dtype !== 'float32' || top < 0 || left < 0 || bottom < 0 || right < 0) return null;
  const [n, h, w] = x.shape as [number, number, number, number];
  const hp = h + top + bottom;
  const wp = w + left + right;
  if (hp - kh + 1 !== outShape[1] || wp - kw + 1 !== outShape[2]) return null;
  let padded = x;
  if (top || left || bottom || right) {
    padded = backend.makeOutput([n, hp, wp, ci], 'float32');
    kernels.padImage(address(backend, x), address(backend, padded), n, h, w, ci, top, left, hp, wp);
  }
  const y = backend.makeOutput(outShape, 'float32');
  kernels.conv2dPadded(address(backend, padded), address(backend, filter), address(backend, y), n, hp, wp, ci, co, kh, kw);
  if (padded !== x) backend.disposeData(padded.dataId);
  return y;
}

/** Conv2D: stride-1, undilated NHWC convolutions on our kernel; the rest on XNNPACK. */
function conv2dForward(args: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: WasmBackendLike }): TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as ConvAttrs & { dilations?: number | [number, number] };
  const x = inputs.x!;
  const filter = inputs.filter!;
  const dilations = attrs.dilations ?? 1;
  const undilated = Array.isArray(dilations) ? dilations[0] === 1 && dilations[1] === 1 : dilations === 1;
  if (attrs.dataFormat !== 'NCHW' && undilated) {
    const info = convInfo(x.shape, filter.shape, attrs);
    if (info.strideHeight === 1 && info.strideWidth === 1) {
      const { top, left, bottom, right } = info.padInfo;
      const y = paddedConv(backend, x, filter, info.outShape, top, left, bottom, right);
      if (y) return y;
    }
  }
  return builtinConv2D!.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as TensorInfo;
}

/** Conv2DBackpropInput(dy, filter) → dx (N × H × W × ci). */
function conv2dBackpropInput(args: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: WasmBackendLike }): TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as ConvAttrs & { inputShape: [number, number, number, number] };
  checkNhwc('Conv2DBackpropInput', attrs.dataFormat);
  const dy = inputs.dy!;
  const filter = inputs.filter!;
  const info = convInfo(attrs.inputShape, filter.shape, attrs);
  const { inHeight: h, inWidth: w, outHeight: oh, outWidth: ow, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const top = kh - 1 - info.padInfo.top;
  const left = kw - 1 - info.padInfo.left;
  const bottom = h - ((oh - 1) * sh + 1) - top + kh - 1;
  const right = w - ((ow - 1) * sw + 1) - left + kw - 1;
  if (top < 0 || left < 0 || bottom < 0 || right < 0) {
    // Padding wider than the kernel (explicit pads only): the backend's own loop handles it.
    return builtinBackpropInput!.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as TensorInfo;
  }
  const temps: TensorInfo[] = [];
  let source = dy;
  if (sh > 1 || sw > 1) {
    source = dilate(dy, sh, sw, backend);
    temps.push(source);
  }
  const rotated = rotateFilter(filter, backend);
  temps.push(rotated);
  const dx =
    (sh === 1 && sw === 1 ? paddedConv(backend, source, rotated, info.inShape, top, left, bottom, right) : null) ??
    conv2d(
      source,
      rotated,
      [1, 1],
      [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ],
      backend,
    );
  for (const t of temps) backend.disposeData(t.dataId);
  return dx;
}

let builtinBatchMatMul: tf.KernelConfig | undefined;

/**
 * BatchMatMul. The backend runs XNNPACK only when neither operand is transposed (and re-packs
 * the weights whenever they change, i.e. every training step) and a naive triple loop
 * otherwise — which every dense layer's backward pass hits (dW = xᵀ·dy, dx = dy·Wᵀ). Here a
 * transposed operand is transposed explicitly (a fast copy), and the product of two plain
 * matrices runs on our convolution kernel as a 1×1 convolution (A's rows are the pixels, its
 * columns the input channels); XNNPACK takes it when the output columns are not a multiple of 4.
 * Batched products (a batch dimension above 1) stay with the backend.
 */
function batchMatMul(args: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: WasmBackendLike }): TensorInfo {
  const { inputs, backend } = args;
  const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
  const a = inputs.a!;
  const b = inputs.b!;
  const batched = (t: TensorInfo) => t.shape.length > 2 && t.shape.slice(0, -2).some((d) => d !== 1);
  if (batched(a) || batched(b) || a.dtype !== 'float32' || b.dtype !== 'float32') {
    return builtinBatchMatMul!.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as TensorInfo;
  }
  const swapLast = (t: TensorInfo) => {
    const perm = t.shape.map((_, i) => i);
    const r = perm.length;
    [perm[r - 2], perm[r - 1]] = [perm[r - 1]!, perm[r - 2]!];
    return transpose(t, perm, backend);
  };
  const temps: TensorInfo[] = [];
  const aa = transposeA ? swapLast(a) : a;
  const bb = transposeB ? swapLast(b) : b;
  if (aa !== a) temps.push(aa);
  if (bb !== b) temps.push(bb);
  const [m, k] = aa.shape.slice(-2) as [number, number];
  const n = bb.shape[bb.shape.length - 1]!;
  const kernels = kernelsFor(backend);
  let out: TensorInfo;
  if (kernels && n % 4 === 0) {
    const outer = (a.shape.length >= b.shape.length ? a.shape : b.shape).slice(0, -2);
    out = backend.makeOutput([...outer, m, n], 'float32');
    kernels.conv2dPadded(address(backend, aa), address(backend, bb), address(backend, out), 1, 1, m, k, n, 1, 1);
  } else {
    out = builtinBatchMatMul!.kernelFunc({
      inputs: { a: aa, b: bb },
      attrs: { transposeA: false, transposeB: false },
      backend: backend as unknown as tf.KernelBackend,
    }) as TensorInfo;
  }
  for (const t of temps) backend.disposeData(t.dataId);
  return out;
}

/**
 * MaxPoolGrad: the backend's loop costs as much as a convolution. Here one pass over the output
 * finds each window's first maximum (row-major window order, as the 'cpu' backend and TensorFlow
 * choose on ties) for all channels at once, and adds dy there.
 */
function maxPoolGrad(args: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: WasmBackendLike }): TensorInfo {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: 'valid' | 'same' | number;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  const x = inputs.input!;
  const dy = inputs.dy!;
  const info = tf.backend_util.computePool2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const {
    batchSize: n,
    inHeight: h,
    inWidth: w,
    inChannels: c,
    outHeight: oh,
    outWidth: ow,
    strideHeight: sh,
    strideWidth: sw,
    filterHeight: fh,
    filterWidth: fw,
  } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const dx = backend.makeOutput(x.shape, 'float32');
  const kernels = kernelsFor(backend);
  if (kernels) {
    kernels.maxPoolGrad(address(backend, x), address(backend, dy), address(backend, dx), n, h, w, c, oh, ow, fh, fw, sh, sw, top, left);
    return dx;
  }
  const xs = backend.typedArrayFromHeap(x);
  const dys = backend.typedArrayFromHeap(dy);
  const dxs = backend.typedArrayFromHeap(dx);
  dxs.fill(0);
  const best = new Float32Array(c);
  const at = new Int32Array(c);
  for (let b = 0; b < n; b++) {
    for (let yr = 0; yr < oh; yr++) {
      const r0 = yr * sh - top;
      const rMin = Math.max(0, r0);
      const rMax = Math.min(h, r0 + fh);
      for (let yc = 0; yc < ow; yc++) {
        const c0 = yc * sw - left;
        const cMin = Math.max(0, c0);
        const cMax = Math.min(w, c0 + fw);
        best.fill(-Infinity);
        at.fill(-1);
        for (let r = rMin; r < rMax; r++) {
          for (let col = cMin; col < cMax; col++) {
            const base = ((b * h + r) * w + col) * c;
            for (let d = 0; d < c; d++) {
              const v = xs[base + d]!;
              if (v > best[d]!) {
                best[d] = v;
                at[d] = base + d;
              }
            }
          }
        }
        const from = ((b * oh + yr) * ow + yc) * c;
        for (let d = 0; d < c; d++) if (at[d]! >= 0) dxs[at[d]!]! += dys[from + d]!;
      }
    }
  }
  return dx;
}

/** mask(relu(x + bias)) in one pass (fused-relu.ts): one image at a time, each with its own valid width. */
function biasReluMask(args: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: WasmBackendLike }): TensorInfo {
  const { inputs, backend } = args;
  const x = inputs.x!;
  const bias = inputs.bias!;
  const s = maskedShape(x.shape);
  const valid = validOf(args.attrs, s.images);
  const y = backend.makeOutput(x.shape, 'float32');
  const kernels = kernelsFor(backend);
  if (!kernels) {
    biasReluMaskJs(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(bias), backend.typedArrayFromHeap(y), s, valid);
    return y;
  }
  const image = s.rows * s.cols * s.channels * 4;
  const [xa, ba, ya] = [address(backend, x), address(backend, bias), address(backend, y)];
  for (let n = 0; n < s.images; n++) kernels.biasReluMask(xa + n * image, ba, ya + n * image, s.rows, s.cols, s.channels, valid[n]!);
  return y;
}

/** Its gradient: dx = dy where y > 0, and the bias's gradient, in one pass. */
function reluBiasGrad(args: { inputs: tf.NamedTensorInfoMap; backend: WasmBackendLike }): TensorInfo[] {
  const { inputs, backend } = args;
  const dy = inputs.dy!;
  const y = inputs.y!;
  const c = y.shape[y.shape.length - 1]!;
  const dx = backend.makeOutput(y.shape, 'float32');
  const db = backend.makeOutput([c], 'float32');
  const kernels = kernelsFor(backend);
  if (kernels) {
    const count = y.shape.reduce((a, d) => a * d, 1) / c;
    kernels.reluBiasGrad(address(backend, dy), address(backend, y), address(backend, dx), address(backend, db), count, c);
  } else {
    reluBiasGradJs(backend.typedArrayFromHeap(dy), backend.typedArrayFromHeap(y), backend.typedArrayFromHeap(dx), backend.typedArrayFromHeap(db), c);
  }
  return [dx, db];
}

let builtinIdentity: tf.KernelConfig | undefined;

/**
 * Identity without a copy (the tensor shares the data, counted by reference, as Reshape does in
 * this backend and Identity does in 'cpu'): the gradient tape clones every tensor it saves for
 * the backward pass, and the backend's Identity copies it — about 40 copies of activations a step.
 */
function identity(args: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: WasmBackendLike }): TensorInfo {
  const x = args.inputs.x!;
  if (x.dtype === 'string') return builtinIdentity!.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as TensorInfo;
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

const registered = new Set<string>();

/** Swaps the backend's kernel for ours; returns the builtin, whose setup (binding its WASM function) we keep for fallbacks. */
function replaceKernel(
  name: string,
  kernelFunc: (args: { inputs: tf.NamedTensorInfoMap; attrs: tf.NamedAttrMap; backend: WasmBackendLike }) => TensorInfo,
): tf.KernelConfig {
  const builtin = tf.getKernel(name, BACKEND);
  if (!builtin) throw new Error(`registerWasmTrainingKernels: the wasm backend has no ${name} kernel`);
  tf.unregisterKernel(name, BACKEND);
  tf.registerKernel({ kernelName: name, backendName: BACKEND, setupFunc: builtin.setupFunc, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  return builtin;
}

/**
 * Registers the training kernels for the 'wasm' backend (idempotent). Call before or after
 * `tf.setBackend('wasm')`; the backend's own Conv2DBackpropInput stays reachable for the cases
 * the fast path does not cover.
 */
export function registerWasmTrainingKernels(): string[] {
  if (registered.size > 0) return [...registered];
  const existingInput = tf.getKernel('Conv2DBackpropInput', BACKEND);
  if (!existingInput) throw new Error('registerWasmTrainingKernels: @tensorflow/tfjs-backend-wasm is not loaded (import it first)');
  builtinBackpropInput = replaceKernel('Conv2DBackpropInput', conv2dBackpropInput);
  registered.add('Conv2DBackpropInput');
  builtinConv2D = replaceKernel('Conv2D', conv2dForward);
  registered.add('Conv2D');
  builtinBatchMatMul = replaceKernel('BatchMatMul', batchMatMul);
  registered.add('BatchMatMul');
  replaceKernel('MaxPoolGrad', maxPoolGrad);
  registered.add('MaxPoolGrad');
  builtinIdentity = replaceKernel('Identity', identity);
  registered.add('Identity');
  if (!tf.getKernel('Conv2DBackpropFilter', BACKEND)) {
    tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: BACKEND, kernelFunc: conv2dBackpropFilter as unknown as tf.KernelFunc });
    registered.add('Conv2DBackpropFilter');
  }
  tf.registerKernel({ kernelName: BIAS_RELU_MASK, backendName: BACKEND, kernelFunc: biasReluMask as unknown as tf.KernelFunc });
  registered.add(BIAS_RELU_MASK);
  tf.registerKernel({ kernelName: RELU_BIAS_GRAD, backendName: BACKEND, kernelFunc: reluBiasGrad as unknown as tf.KernelFunc });
  registered.add(RELU_BIAS_GRAD);
  return [...registered];
}
