/**
 * The from-scratch neural-network engine (dense networks, as in CMU 16-720):
 * layers that own forward and backward, activations with their derivatives in one table,
 * fused softmax + cross-entropy and squared-error losses, SGD with momentum, gradient checks,
 * and fast kernels (WebAssembly SIMD on kernel threads, TypeScript as the fallback).
 */
export { ACTIVATIONS, sigmoid, type ElementwiseActivation } from './activations.ts';
export { allocate, allocateInt32, backendInfo, dispose, inEngine, ready, setThreads, toEngine, type BackendInfo, type DType } from './backend.ts';
export { autoencoder, mlp, type BuildOptions, type HiddenActivation } from './builders.ts';
export { checkLayerGradients, checkLossGradients, gradcheck, type GradcheckOptions, type GradcheckResult } from './gradcheck.ts';
export type { FloatArray } from './kernels/types.ts';
export { Activation, Dense, Flatten, Softmax, xavierUniform, type Layer, type Param } from './layers.ts';
export { LOSSES, softmax, softmaxCrossEntropy, squaredError, type Loss, type LossName } from './losses.ts';
export { Network, type NetworkOptions } from './network.ts';
export { SGD, type Optimizer, type SgdOptions } from './optim.ts';
export { predict, trainEpoch, type EpochResult, type TrainEpochOptions } from './train.ts';
