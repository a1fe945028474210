#!/usr/bin/env node
import module from 'node:module';

// Node >= 22.1 keeps compiled code between runs; older Node simply skips this.
module.enableCompileCache?.();
const { main } = await import('../dist/cli-bundle/main.js');
process.exitCode = await main(process.argv.slice(2));
