#!/usr/bin/env node
// The compiled CLI lives in dist/, built by `npm ci` (the `postprepare` script: `prepare` would
// make npm warn about an install script in every project that installs neuron from a file).

// A reader that stops early (`nnc predict ... | head`) closes the pipe: stop quietly, as
// Unix tools do, rather than die with an EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

let cli;
try {
  cli = await import("../dist/cli/main.js");
} catch (error) {
  if (error?.code !== "ERR_MODULE_NOT_FOUND") throw error;
  process.stderr.write("nnc: the compiler is not built; run `npm ci` (or `npm run build`) in the Neuron package first\n");
  process.exit(2);
}
process.exitCode = await cli.run(process.argv.slice(2));
