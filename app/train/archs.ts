/** The model kinds `hwr train` knows, and what each uses when an option is not given (from TRAIN_OPTIONS). */
import { archDefaults, TRAIN_OPTIONS, type ArchDefaults } from '../contract.ts';
import type { Arch } from './types.ts';

export const ARCHS: readonly Arch[] = TRAIN_OPTIONS.arch.values;

/** Hidden units of the course MLP, the same whichever trainer builds it (mlp, tfmlp). */
export const MLP_HIDDEN = 64;

/** Defaults per architecture: what `hwr train --arch X` uses when an option is not given. */
export const ARCH_DEFAULTS: Record<Arch, ArchDefaults> = Object.fromEntries(ARCHS.map((a) => [a, archDefaults(a)])) as Record<Arch, ArchDefaults>;
