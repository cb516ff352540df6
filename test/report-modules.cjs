// Preloaded into a sweep child by test/startup.test.ts (NODE_OPTIONS=--require): on exit it
// says on stderr which heavy CommonJS packages the run loaded.
process.on('exit', () => {
  const files = Object.keys(require.cache);
  const loaded = (suffix) => files.some((f) => f.endsWith(suffix));
  process.stderr.write(
    `loaded: undici-index=${loaded('/undici/index.js')} pino=${loaded('/pino/pino.js')}` +
      ` commander=${loaded('/commander/index.js')} tldts=${loaded('/tldts/dist/cjs/index.js')} sax=${loaded('/sax/lib/sax.js')}\n`,
  );
});
