#!/usr/bin/env node
// The `hwr` command: loads the TypeScript CLI through tsx so no build step is needed.
import { register } from 'tsx/esm/api';

register();
// `hwr ocr ... | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});
const { main } = await import('../app/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
