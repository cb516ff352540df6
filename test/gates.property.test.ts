// Properties of `--fail-on` parsing: a gate written out parses back to the same gate, however it is
// spaced and cased; and whatever the user types, parseGates returns well-formed gates or throws a
// UsageError (exit 2, one line), never anything else.

import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { ALL_METRICS, CRAWL_METRICS, METRICS, parseGates, type Gate, type MetricName, type Op } from '../src/gates.js';
import { anyString, fc } from './property.js';

/** The suffixes each kind of metric takes, and their scale to the base unit (README "Gates"). */
const SUFFIXES = { ms: { '': 1, ms: 1, s: 1000 }, ratio: { '': 1, '%': 0.01 }, count: { '': 1 }, times: { '': 1, x: 1 } } as const;
const OPS: Op[] = ['<', '<=', '>', '>='];

const ws = fc.constantFrom('', ' ', '  ', '\t');
const decimal = fc
  .tuple(fc.option(fc.constantFrom('+', '-')), fc.stringMatching(/^\d{0,6}$/), fc.option(fc.stringMatching(/^\d{0,4}$/)))
  .filter(([, int, frac]) => int !== '' || (frac !== null && frac !== ''))
  .map(([sign, int, frac]) => (sign ?? '') + int + (frac === null ? '' : '.' + frac));
const upperSome = (s: string): fc.Arbitrary<string> => fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }).map((up) => [...s].map((c, i) => (up[i] ? c.toUpperCase() : c)).join(''));

const written = fc
  .tuple(fc.constantFrom(...ALL_METRICS), fc.constantFrom(...OPS), decimal, ws, ws, ws, ws, ws)
  .chain(([metric, op, num, a, b, c, d, e]) =>
    fc.constantFrom(...Object.keys(SUFFIXES[METRICS[metric].kind])).chain((suffix) =>
      upperSome(suffix).map((asWritten) => ({
        expr: `${a}${metric}${b}${op}${c}${num}${d}${asWritten}${e}`,
        gate: { metric, op, value: Number(num) * (SUFFIXES[METRICS[metric].kind] as Record<string, number>)[suffix]!, suffix },
      })),
    ),
  );

/** What every gate parseGates returns must be: a known metric, a known operator, a finite value in the metric's unit. */
function wellFormed(g: Gate, allowed: readonly MetricName[]): void {
  expect(allowed).toContain(g.metric);
  expect(OPS).toContain(g.op);
  expect(Number.isFinite(g.value)).toBe(true);
  expect(Object.keys(SUFFIXES[METRICS[g.metric].kind])).toContain(g.suffix);
}

describe('parseGates (property)', () => {
  it('written gates, however spaced and cased, parse back to the same gates; their text parses to them again', () => {
    fc.assert(
      fc.property(fc.array(written, { minLength: 1, maxLength: 5 }), (list) => {
        const gates = parseGates(list.map((w) => w.expr).join(','));
        expect(gates.map(({ metric, op, value, suffix }) => ({ metric, op, value, suffix }))).toEqual(list.map((w) => w.gate));
        expect(gates.map((g) => g.text)).toEqual(list.map((w) => w.expr.trim()));
        expect(parseGates(gates.map((g) => g.text).join(','))).toEqual(gates);
        for (const g of gates) wellFormed(g, ALL_METRICS);
      }),
      { numRuns: 500 },
    );
  });

  it('anything typed gives well-formed gates or a UsageError, nothing else', () => {
    const token = fc.constantFrom(
      ...ALL_METRICS, ...OPS, '=', '==', '!=', ',', ' ', '%', 'ms', 's', 'x', 'X', 'MS', '.', '-', '+', 'e', '1e3', '9'.repeat(400),
      'Infinity', 'NaN', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '0', '12', '3.5',
    );
    // Near misses: each part of "<metric><op><value><suffix>" valid, odd, or a trap (names that
    // every JS object has, numbers that overflow to Infinity).
    const traps = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
    const nearMiss = fc
      .tuple(
        fc.constantFrom(...ALL_METRICS, ...traps, 'p95', ''),
        fc.constantFrom(...OPS, '=', '!=', ''),
        fc.constantFrom('1', '0.5', '.5', '5.', '-3', '1e3', '9'.repeat(400), '', 'x'),
        fc.constantFrom('', 'ms', 'S', '%', 'x', ...traps, 'e'),
        ws,
      )
      .map(([metric, op, num, suffix, space]) => `${metric}${space}${op}${num}${space}${suffix}`);
    const garbage = fc.oneof(anyString(30), fc.array(token, { maxLength: 8 }).map((t) => t.join('')), nearMiss);
    fc.assert(
      fc.property(garbage, fc.constantFrom(ALL_METRICS, CRAWL_METRICS), (raw, allowed) => {
        let gates: Gate[];
        try {
          gates = parseGates(raw, allowed);
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError);
          expect((err as Error).message).not.toMatch(/\n/);
          return;
        }
        for (const g of gates) wellFormed(g, allowed);
      }),
      { numRuns: 1000 },
    );
  });
});
