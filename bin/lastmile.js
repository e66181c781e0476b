#!/usr/bin/env node
// Entry point for the `lastmile` command: runs the TypeScript sources through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../gateway/cli.ts');
