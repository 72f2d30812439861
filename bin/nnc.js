#!/usr/bin/env node
// The compiled CLI lives in dist/, built by `npm ci` (the `prepare` script).
import { run } from "../dist/compiler/cli/main.js";

process.exitCode = await run(process.argv.slice(2));
