/**
 * Retry timing for calls to GitLab and the token stores. Sleeps, the clock and randomness are
 * injected so that tests run thousands of fault schedules in virtual time.
 */
export interface Timing {
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  random: () => number;
}

export const realTiming: Timing = {
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  now: () => Date.now(),
  random: Math.random,
};

export interface RetryPolicy {
  /** Attempts in total, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the call fails instead. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 20_000, maxRetryAfterMs: 120_000 };

/** Exponential backoff with full jitter: a random delay in [0, min(max, base·2^attempt)). */
export function backoffMs(policy: RetryPolicy, attempt: number, random: () => number): number {
  return Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt));
}

/**
 * How long a 429 asks to wait: `Retry-After` (seconds or an HTTP date), else `RateLimit-Reset`
 * (a Unix time in seconds, as GitLab sends it), else undefined.
 */
export function rateLimitWaitMs(headers: { get(name: string): string | null }, now: number): number | undefined {
  const ra = headers.get('retry-after');
  if (ra !== null && ra.trim() !== '') {
    if (/^\d+$/.test(ra.trim())) return Number(ra.trim()) * 1000;
    const at = Date.parse(ra);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  const reset = headers.get('ratelimit-reset');
  if (reset !== null && /^\d+$/.test(reset.trim())) return Math.max(0, Number(reset.trim()) * 1000 - now);
  return undefined;
}
