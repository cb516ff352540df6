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

  it('forget() drops a finished entry at once, and never a later attempt of the same item', () => {
    const q = new DeadlineQueue(1000, 4);
    const a = item(10);
    const b = item(20);
    const slotA = q.push(a, 10);
    q.push(b, 20);
    q.forget(a, slotA, 10);
    a.deadline = NaN;
    // A retry of b: a new entry with a later deadline; forgetting the first one leaves the second.
    b.deadline = 40;
    const slotB2 = q.push(b, 40);
    q.forget(b, slotB2, 20);
    q.sweep(30);
    expect([a.expired, b.expired]).toEqual([0, 0]);
    q.sweep(40);
    expect(b.expired).toBe(1);
    expect(q.size).toBe(0);
    q.stop();
  });

  it('forget() across a growth of the ring: nothing finished expires', () => {
    const q = new DeadlineQueue(1000, 2);
    const a = item(10);
    const slotA = q.push(a, 10);
    const others = [item(11), item(12), item(13)];
    others.forEach((o, i) => q.push(o, 11 + i));
    a.deadline = NaN;
    q.forget(a, slotA, 10);
    others.forEach((o) => (o.deadline = NaN));
    q.sweep(100);
    expect(a.expired + others.reduce((n, o) => n + o.expired, 0)).toBe(0);
    expect(q.size).toBe(0);
    q.stop();
  });

  it('a deadline set aside (out of FIFO order) expires on time, not behind later heads; one that ended is dropped', () => {
    const q = new DeadlineQueue(1000);
    const late = item(100);
    q.push(late, 100);
    const resumed = item(20); // a body that resumed with 20 ms left: earlier than the queue's head
    q.pushAside(resumed);
    const done = item(30);
    q.pushAside(done);
    done.deadline = NaN;
    q.sweep(25);
    expect([resumed.expired, late.expired, done.expired]).toEqual([1, 0, 0]);
    q.sweep(150);
    expect([resumed.expired, late.expired, done.expired]).toEqual([1, 1, 0]);
    q.stop();
  });
});
