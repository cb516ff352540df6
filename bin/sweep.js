#!/usr/bin/env node
// Thin shim: the compiled CLI does everything. Run `npm run build` first when working from a clone.
// `sweep --version` alone is answered here, before commander and the option table load: it is
// what scripts call to probe the tool, and it should cost little more than starting node.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const { VERSION } = await import('../dist/version.js');
  process.stdout.write(`${VERSION}\n`);
} else {
  const { main } = await import('../dist/cli.js');
  await main(process.argv);
}
