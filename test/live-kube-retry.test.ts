import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubernetesSecretStore } from '../src/live/kubernetes.js';
import { VirtualClock } from './helpers/gitlab-double.js';
import { KubeDouble } from './helpers/kube-double.js';

/**
 * The Kubernetes client retries as GitLab's does (one loop, src/live/retry.ts): the wait a 429 or
 * a 503 asks for with Retry-After is waited for, every wait counts against the 45 s a call may
 * take, and an API server that does not answer ends the call within that limit.
 */
const REF = { cluster: 'ci', namespace: 'ci-apps', secret: 'apps-runner-token', deployment: 'apps-gitlab-runner' };

describe('the Kubernetes client: Retry-After and the per-call limit, on a virtual clock', () => {
  const kube = new KubeDouble('kube-bearer-not-shown');
  let base = '';
  beforeAll(async () => {
    base = await kube.listen();
    kube.addDeployment('ci-apps', 'apps-gitlab-runner');
  });
  afterAll(() => kube.close());
  // Backoff at half its cap (random() = 0.5): 250 ms, 500 ms, … — never a whole number of seconds.
  const store = (clock: VirtualClock, progress?: (l: string) => void) => new KubernetesSecretStore({ server: base, bearer: 'kube-bearer-not-shown', fetch: (u, init) => fetch(u, init) }, REF, clock, progress ? { progress } : {});

  it.each([
    ['429', 'throttled' as const],
    ['503', 'unavailable' as const],
  ])('a %s with Retry-After: 3 is waited for as asked (3 s), then the call goes on', async (_code, fault) => {
    const clock = new VirtualClock(() => 0.5);
    const lines: string[] = [];
    kube.retryAfter = '3';
    kube[fault] = 2;
    try {
      expect(await store(clock, (l) => lines.push(l)).read()).toBeUndefined();
    } finally {
      kube.retryAfter = undefined;
      kube[fault] = 0;
    }
    expect(clock.slept).toBe(6_000);
    expect(lines[0]).toMatch(/^GET \/api\/v1\/namespaces\/ci-apps\/secrets\/apps-runner-token: HTTP (429|503); retrying in 3\.0 s \(attempt 2 of 6\)$/);
  });

  it('429 with Retry-After: 40 again and again: the second wait would pass 45 s, so the call fails at once, naming the call, the limit and the wait asked', async () => {
    const clock = new VirtualClock(() => 0.5);
    kube.retryAfter = '40';
    kube.throttled = 5;
    const before = kube.requests.length;
    let e: Error;
    try {
      e = (await store(clock).restartManager().catch((x: unknown) => x)) as Error;
    } finally {
      kube.retryAfter = undefined;
      kube.throttled = 0;
    }
    expect(e.message).toMatch(/^the Kubernetes API of cluster ci \(127\.0\.0\.1:\d+\) asks to wait 40 s before PATCH \/apis\/apps\/v1\/namespaces\/ci-apps\/deployments\/apps-gitlab-runner is tried again \(HTTP 429; Retry-After or RateLimit-Reset\): that would pass the 45 s runner-fleet gives one call, its retries and waits included \(40 s spent, 2 attempts\): try again later$/);
    expect(kube.requests.length - before).toBe(2);
    expect(clock.slept).toBe(40_000);
    expect(e.message).not.toContain('kube-bearer');
  });

  it('a Retry-After longer than the policy waits (120 s) is not waited for at all', async () => {
    const clock = new VirtualClock(() => 0.5);
    kube.retryAfter = '600';
    kube.unavailable = 1;
    let e: Error;
    try {
      e = (await store(clock).read().catch((x: unknown) => x)) as Error;
    } finally {
      kube.retryAfter = undefined;
      kube.unavailable = 0;
    }
    expect(e.message).toMatch(/asks to wait 600 s before GET \/api\/v1\/namespaces\/ci-apps\/secrets\/apps-runner-token is tried again \(HTTP 503; .*longer than the 120 s runner-fleet waits/);
    expect(clock.slept).toBe(0);
  });

  it('an API server that accepts connections and never answers: the call ends at the 45 s limit (two attempts of 30 s, not six), saying how long and why', async () => {
    const clock = new VirtualClock(() => 0.5);
    let calls = 0;
    // No timeout of the client's own (0): the double's answers move the clock, 30 s each, as in the GitLab client's test.
    const silent = new KubernetesSecretStore(
      {
        server: 'https://kube.example.com:6443',
        bearer: 'kube-bearer-not-shown',
        fetch: () => {
          calls++;
          clock.t += 30_000;
          return Promise.reject(Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }));
        },
      },
      REF,
      clock,
      { requestTimeoutMs: 0 },
    );
    const e = (await silent.read().catch((x: unknown) => x)) as Error;
    expect(e.message).toMatch(/^the Kubernetes API of cluster ci \(kube\.example\.com:6443\) did not answer GET \/api\/v1\/namespaces\/ci-apps\/secrets\/apps-runner-token in 6\d s \(2 attempts; the last: timed out\)$/);
    expect(calls).toBe(2);
  });
});
