// Entry of a data-parallel training worker (engine.ts): plain JavaScript that registers tsx's
// loader, so the TypeScript worker runs the same under node, tsx and vitest.
import { register } from 'tsx/esm/api';

register();
await import('./replica.ts');
