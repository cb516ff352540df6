import { describe, expect, it } from 'vitest';
import { DeadlineQueue, type Expirable } from '../src/deadlines.js';

function item(deadline: number): Expirable & { expired: number } {
  return {
    deadline,
    expired: 0,
    expire() {
      this.expired++;
    },
  };
}

describe('DeadlineQueue', () => {
  it('expires live heads in order, skips finished and superseded entries, and grows', () => {
    const q = new DeadlineQueue(1000, 2);
    const a = item(10);
    const b = item(20);
    const c = item(30);
    q.push(a, 10);
    q.push(b, 20);
    q.push(c, 30);
    b.deadline = NaN; // finished before its deadline
    c.deadline = 45; // moved on to a later attempt
    q.push(c, 45);
    q.sweep(25);
    expect([a.expired, b.expired, c.expired]).toEqual([1, 0, 0]);
    q.sweep(40);
    expect(c.expired).toBe(0);
    q.sweep(50);
    expect(c.expired).toBe(1);
    expect(q.size).toBe(0);
    q.stop();
  });
});
