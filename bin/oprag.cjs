#!/usr/bin/env node
// The installed `oprag` command: runs the TypeScript entry point through tsx.
require('tsx/cjs');
require('./oprag.ts');
