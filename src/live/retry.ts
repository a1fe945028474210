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

/** The three forms of an HTTP-date (RFC 9110 §5.6.7): IMF-fixdate, the obsolete RFC 850 form, asctime. */
const IMF_FIXDATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const RFC850_DATE = /^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \d{2}-(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME_DATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/** The time an HTTP-date names (ms since the epoch), or undefined when the text is no HTTP-date. */
export function httpDateMs(text: string): number | undefined {
  const t = text.trim();
  // asctime carries no zone: it is GMT, never this machine's local time.
  const at = IMF_FIXDATE.test(t) || RFC850_DATE.test(t) ? Date.parse(t) : ASCTIME_DATE.test(t) ? Date.parse(`${t} GMT`) : NaN;
  return Number.isNaN(at) ? undefined : at;
}

/**
 * How long a 429 asks to wait: `Retry-After` (RFC 9110 §10.2.3: delay-seconds, a non-negative
 * integer, or an HTTP-date), else `RateLimit-Reset` (a Unix time in seconds, as GitLab sends
 * it), else undefined. A value of neither form (`-5`, `abc`, `1.5`), a date or reset time already
 * past, and a zero wait are undefined too: the caller then backs off by its own policy, never
 * retrying at once in a loop. A delay too long for a number is Infinity (more than any cap).
 */
export function rateLimitWaitMs(headers: { get(name: string): string | null }, now: number): number | undefined {
  const ra = headers.get('retry-after')?.trim();
  if (ra !== undefined && ra !== '') {
    if (/^\d+$/.test(ra)) {
      const ms = Number(ra) * 1000;
      if (ms > 0) return ms;
    } else {
      const at = httpDateMs(ra);
      if (at !== undefined && at > now) return at - now;
    }
  }
  const reset = headers.get('ratelimit-reset')?.trim();
  if (reset !== undefined && /^\d+$/.test(reset)) {
    const at = Number(reset) * 1000;
    if (at > now) return at - now;
  }
  return undefined;
}

/** A wait as a message says it: `40 s`, or for a value beyond any sane wait, `more than a day`. */
export function askedWaitText(ms: number): string {
  return Number.isFinite(ms) && ms <= 86_400_000 ? `${Math.ceil(ms / 1000)} s` : 'more than a day';
}
