import { execFileSync } from 'node:child_process';

/** A Python that has PyTorch: the one on PATH, else Debian's (python3-torch); null where neither has it. */
export function pythonWithTorch(): string | null {
  for (const python of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
      return python;
    } catch {
      // try the next
    }
  }
  return null;
}
