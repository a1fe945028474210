import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opsCommand, type OpsOptions } from '../src/cli/ops.js';
import { KubeDouble } from './helpers/kube-double.js';
import { CANARY, harness, opsSpec, writeSpec } from './helpers/ops-world.js';

/**
 * Restarts overlap with the next runners' token changes (at most four at once), and their
 * retries print progress on stderr meanwhile. Each progress line is one write of one whole line,
 * and names the runner whose work printed it: a reader of a CI log can tell whose 503 it was.
 * Live Kubernetes Secret stores against a Kubernetes API double (kubectl proxy: plain http).
 */

/** Five Kubernetes runners (the operations spec's `k8s` and four copies), nothing else. */
function kubeRunners(): { file: string; names: string[] } {
  const s = opsSpec();
  const k8s = s.runners[0];
  s.runners = [k8s, ...Array.from({ length: 4 }, (_, i) => ({ ...JSON.parse(JSON.stringify(k8s)), name: `extra${i}` }))];
  return { file: writeSpec(s), names: s.runners.map((r: { name: string }) => r.name) };
}

describe('progress lines of overlapping restarts and token changes', () => {
  const kube = new KubeDouble(undefined);
  let server = '';
  beforeAll(async () => {
    server = await kube.listen();
  });
  afterAll(() => kube.close());

  it('rotate with a Kubernetes API and a GitLab that answer 503 now and then: every write to stderr is one line, every retry line names its runner', async () => {
    const { file, names } = kubeRunners();
    const h = harness(file, { seed: 7, faultRate: 0 });
    h.world.store = undefined;
    for (const name of names) kube.addDeployment('ci-k8s', `${name}-gitlab-runner`);
    const run = async (command: 'register' | 'rotate', opts: OpsOptions) => {
      const writes: string[] = [];
      let out = '';
      const code = await opsCommand(command, file, { approve: true, kubeApi: [`devops=${server}`], ...opts }, { out: (s) => (out += s), err: (s) => writes.push(s) }, h.world);
      return { code, out, writes };
    };
    const reg = await run('register', {});
    expect(reg.code, reg.out + reg.writes.join('')).toBe(0);
    // Now the API server and GitLab refuse some calls: restarts and rotations retry side by side.
    h.double.opts.faultRate = 0.3;
    const origFetch = globalThis.fetch;
    let n = 0;
    globalThis.fetch = ((u: string, init: RequestInit) => {
      // Every third call to the API server: 503 (the next attempt gets through).
      if (String(u).startsWith(server) && ++n % 3 === 0) return Promise.resolve(new Response(JSON.stringify({ kind: 'Status', code: 503 }), { status: 503, headers: { 'content-type': 'application/json' } }));
      return origFetch(u, init);
    }) as typeof fetch;
    let r: Awaited<ReturnType<typeof run>>;
    try {
      r = await run('rotate', { wait: '0s' });
    } finally {
      globalThis.fetch = origFetch;
      h.double.opts.faultRate = 0;
    }
    expect(r.code, r.out + r.writes.join('')).toBe(0);
    const progress = r.writes.filter((w) => w.startsWith('… '));
    const retries = progress.filter((w) => /retrying in/.test(w));
    expect(retries.length).toBeGreaterThan(5);
    for (const w of r.writes) {
      // One whole line per write: nothing before or after it can land inside it.
      expect(w, JSON.stringify(w)).toMatch(/^[^\n]*\n$/);
    }
    const who = new RegExp(`^… (${names.join('|')}): `);
    for (const w of retries) {
      const m = who.exec(w);
      expect(m, `a retry line that does not name its runner: ${JSON.stringify(w)}`).not.toBeNull();
      // The line of a Kubernetes call names the runner whose Secret or Deployment it touches.
      const object = /\/(?:deployments\/(\S+)-gitlab-runner|secrets\/(\S+)-runner-token):/.exec(w);
      if (object) expect(m![1]).toBe(object[1] ?? object[2]);
    }
    expect(retries.some((w) => /PATCH \/apis\/apps\/v1\/namespaces\/ci-k8s\/deployments\//.test(w))).toBe(true);
    expect(r.writes.join('')).not.toContain(CANARY);
  });
});
