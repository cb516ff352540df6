#!/usr/bin/env node
// Thin shim: the compiled CLI does everything. Run `npm run build` first when working from a clone.
import { main } from '../dist/cli.js';

main(process.argv);
