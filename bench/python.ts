import { execFileSync } from 'node:child_process';

/**
 * A Python that can import `module`: the one on PATH, else Debian's /usr/bin/python3 (where
 * python3-torch and python3-numpy install); null where neither can. The benches name the
 * interpreter they ran in their figures.
 */
export function pythonWith(module: string): string | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(python, ['-c', `import ${module}`], { stdio: 'ignore' });
      return python;
    } catch {
      // try the next
    }
  }
  return null;
}

/** A Python that has PyTorch (see pythonWith). */
export const pythonWithTorch = (): string | null => pythonWith('torch');
