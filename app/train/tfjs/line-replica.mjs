// Entry of a data-parallel line-training replica (line-engine.ts): plain JavaScript that
// registers tsx's loader, so the TypeScript replica runs the same under node, tsx and vitest.
import { register } from 'tsx/esm/api';

register();
await import('./line-replica.ts');
