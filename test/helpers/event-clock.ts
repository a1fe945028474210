import type { Timing } from '../../src/live/retry.js';

/**
 * A virtual clock on which concurrent sleeps overlap, as on a real one: a sleep ends at the time
 * it began plus its length, and the clock moves on to the earliest end only when nothing else
 * runs (checked with setImmediate: every microtask has settled, so the code under test must wait
 * on nothing but this clock). Sleeps one after another add up; sleeps side by side do not.
 */
export class EventClock implements Timing {
  t = Date.parse('2026-06-01T00:00:00Z');
  private readonly timers: { at: number; seq: number; wake: () => void }[] = [];
  private seq = 0;
  private armed = false;

  constructor(readonly random: () => number = () => 0.5) {}

  now = () => this.t;

  sleep = (ms: number) =>
    new Promise<void>((wake) => {
      this.timers.push({ at: this.t + ms, seq: this.seq++, wake });
      this.arm();
    });

  private arm(): void {
    if (this.armed) return;
    this.armed = true;
    setImmediate(() => {
      this.armed = false;
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift();
      if (!next) return;
      this.t = Math.max(this.t, next.at);
      next.wake();
      if (this.timers.length > 0) this.arm();
    });
  }
}
