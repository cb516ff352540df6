// Shared settings of the property tests (test/*.property.test.ts). Under CI the seed is fixed, so
// a failure in a CI log reproduces exactly; on a dev box each run draws a fresh seed and so
// explores more. Either way fast-check's failure message prints the seed and the path of the
// shrunk counterexample: pass them back as `{ seed, path }` in fc.assert's parameters to replay it.

import fc from 'fast-check';

export const CI_SEED = 20261123;

fc.configureGlobal({
  ...(process.env.CI ? { seed: CI_SEED } : {}),
  // Shrinking a failure down to a small case is the point; give it room, but not forever.
  interruptAfterTimeLimit: 20_000,
  markInterruptAsFailure: true,
});

export { fc };

/** UTF-16 strings of any code units, lone surrogates included (fc.string draws whole code points). */
export const codeUnits = (maxLength = 40): fc.Arbitrary<string> =>
  fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength }).map((units) => String.fromCharCode(...units));

/** Strings of any Unicode scalar values (all planes, no lone surrogates). Built by hand: fast-check's
 * `unit: 'binary'` costs ~2.5 s on first use in a process, more than all these tests together. */
export const codePoints = (maxLength = 40): fc.Arbitrary<string> =>
  fc
    .array(fc.oneof(fc.integer({ min: 0, max: 0xd7ff }), fc.integer({ min: 0xe000, max: 0x10ffff })), { maxLength })
    .map((points) => String.fromCodePoint(...points));

/** Any string a test may throw at a parser: printable ASCII, any code point, or raw code units. */
export const anyString = (maxLength = 40): fc.Arbitrary<string> => fc.oneof(fc.string({ maxLength }), codePoints(maxLength), codeUnits(maxLength));
