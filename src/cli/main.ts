#!/usr/bin/env node
// Entry point of the `multicam-reid` command; the commands live in program.ts.
import { main } from './program.js';

await main(process.argv);
