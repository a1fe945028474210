import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANNOTATIONS } from '../src/live/kubernetes.js';
import { markerText } from '../src/ops/marker.js';
import { opsReportSchema } from '../src/ops/report.js';
import { ROOT } from './helpers/fleet.js';
import type { DoubleRunner, GitLabDouble } from './helpers/gitlab-double.js';
import { loopbackCert } from './helpers/gitlab-https.js';
import { KubeDouble } from './helpers/kube-double.js';
import { ACCESS_TOKEN, CANARY, harness, opsSpec, servedOpsGitLab, writeSpec } from './helpers/ops-world.js';
import { which } from './helpers/tools.js';

/**
 * Stop 54 (54b item 1): `register` and `rotate` killed between GitLab issuing a new runner token
 * (POST /user/runners, a token reset) and the token store holding it. Before, neither command had a
 * signal handler: Ctrl-C or SIGTERM there ended the process by the signal with nothing said, and the
 * token, which only that process held, was lost (the next register repaired it with a reset). Now a
 * signal there is held until the token is stored, then the run stops (130, 143) saying what it did
 * and what is left; SIGKILL cannot be held, and the next register repairs without a second runner.
 * The built CLI runs in a child process against the GitLab double over HTTPS and the Kubernetes API
 * double over HTTP (the Secret store); RUNNER_FLEET_TEST_OPS_PAUSE (a test-only hook) pauses it at
 * the point (`created`: after POST /user/runners answered; `reset`: after the reset answered).
 */

const OPENSSL = which('openssl');
if (!OPENSSL) console.log('SKIPPED: register and rotate interrupted in a child process: openssl is not on PATH to make the test GitLab\'s certificate');

const SECRET = 'ci-k8s/k8s-runner-token';
let kube: KubeDouble;
let kubeUrl: string;
let tls: ReturnType<typeof loopbackCert>;
const servers: { close: () => void }[] = [];

beforeAll(async () => {
  if (!OPENSSL) return;
  tls = loopbackCert('rf-reg-int-');
  kube = new KubeDouble(undefined);
  kubeUrl = await kube.listen();
  servers.push({ close: () => void kube.close() });
});
afterAll(() => {
  for (const s of servers) s.close();
});

interface World {
  double: GitLabDouble;
  file: string;
  url: string;
}

function world(): Promise<World> {
  kube.secrets.clear();
  kube.deployments.clear();
  kube.addDeployment('ci-k8s', 'k8s-gitlab-runner');
  return servedOpsGitLab(tls, servers);
}

/** The CLI in a child process; `signals` are sent, one after another, once it says it paused. */
async function cli(w: World, command: 'register' | 'rotate', o: { pause?: 'created' | 'reset' | 'stored'; signals?: NodeJS.Signals[]; json?: boolean; accessToken?: boolean } = {}) {
  const env: Record<string, string> = { PATH: process.env.PATH! };
  if (o.accessToken !== false) env.RUNNER_FLEET_GITLAB_TOKEN = ACCESS_TOKEN;
  if (o.pause) env.RUNNER_FLEET_TEST_OPS_PAUSE = o.pause;
  const args = [join(ROOT, 'bin', 'runner-fleet.cjs'), command, w.file, '--runner', 'k8s', '--approve', '--ca-file', tls.certFile, '--kube-api', `devops=${kubeUrl}`, ...(command === 'rotate' ? ['--wait', '0s'] : []), ...(o.json ? ['--json'] : [])];
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let sent = 0;
  const signals = [...(o.signals ?? [])];
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
    // The first once it paused; a second once it said it holds the first (two sent at once may arrive as one).
    const next = sent === 0 ? /paused at (created|reset|stored)/.test(err) : /storing it first, then stopping/.test(err);
    if (next && sent < signals.length) child.kill(signals[sent++]);
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((ok) => child.on('close', (c, s) => ok([c, s])));
  return { code, signal, out, err, sent };
}

const k8sRunners = (w: World): DoubleRunner[] => [...w.double.runners.values()].filter((r) => r.description.endsWith(markerText('acme', 'k8s')));
const secret = () => kube.secrets.get(SECRET);
const storedToken = () => {
  const s = secret();
  const data = s?.data as Record<string, string> | undefined;
  return data?.['runner-token'] === undefined ? undefined : Buffer.from(data['runner-token'], 'base64').toString();
};
/** Deployment restarts (PATCH) the Kubernetes double has answered so far, across the file's tests. */
const patches = () => kube.requests.filter((q) => q.startsWith('PATCH')).length;
const annotation = (key: keyof typeof ANNOTATIONS) => secret()?.metadata.annotations?.[ANNOTATIONS[key]];

/** No runner token and no access token in anything the CLI printed. */
function noTokens(w: World, ...texts: string[]) {
  const all = texts.join('');
  expect(all).not.toContain(CANARY);
  expect(all).not.toContain(ACCESS_TOKEN);
  for (const r of w.double.runners.values()) expect(all).not.toContain(r.token);
}

describe('register interrupted between POST /user/runners and storing the token', () => {
  it.skipIf(!OPENSSL).each([
    ['SIGINT', 130, 'Ctrl-C, SIGINT'],
    ['SIGTERM', 143, 'SIGTERM'],
  ] as const)('%s: held until the token is stored, then exit %i saying what was done and what is left', async (signal, exit, said) => {
    const w = await world();
    const r = await cli(w, 'register', { pause: 'created', signals: [signal] });
    expect(r.sent).toBe(1);
    // Before: killed by the signal (code null), nothing said, the Secret never written.
    expect(r.code, r.err).toBe(exit);
    const [runner, ...more] = k8sRunners(w);
    expect(more).toEqual([]);
    expect(storedToken()).toBe(runner!.token);
    expect(annotation('runnerId')).toBe(String(runner!.id));
    expect(annotation('state')).toBe('valid');
    expect(r.err).toContain(`${said} received while a new token of runner k8s (#${runner!.id}) exists only in this process: storing it first, then stopping`);
    expect(r.err).toContain(`runner-fleet register: interrupted (${said}): the new token was stored first (it existed only in this process), and the run stopped there: runner #${runner!.id} was created in GitLab for k8s and its token stored in Secret ${SECRET} (cluster devops); its manager was not restarted`);
    expect(r.err).toContain(`runner-fleet register ${w.file} --runner k8s --approve does it (no second runner)`);
    // The manager was not restarted (the run stopped before): no PATCH of the Deployment.
    expect(kube.requests.some((q) => q.startsWith('PATCH'))).toBe(false);
    noTokens(w, r.out, r.err);
  }, 60_000);

  it.skipIf(!OPENSSL)('--json, SIGTERM: one report on stdout, interrupted with the runner id, stored: true and the command that finishes', async () => {
    const w = await world();
    const r = await cli(w, 'register', { pause: 'created', signals: ['SIGTERM'], json: true });
    expect(r.code, r.err).toBe(143);
    const report = opsReportSchema.parse(JSON.parse(r.out));
    const id = k8sRunners(w)[0]!.id;
    expect(report).toMatchObject({ command: 'register', approved: true, failedAt: 'apply', exitCode: 143, interrupted: { signal: 'SIGTERM', runner: 'k8s', ids: [id], stored: true, rerun: `runner-fleet register ${w.file} --runner k8s --approve` } });
    expect(report.interrupted!.left).toContain(`runner #${id} was created in GitLab for k8s and its token stored in Secret ${SECRET}`);
    noTokens(w, r.out, r.err);
  }, 60_000);

  it.skipIf(!OPENSSL)('SIGINT twice: the second stops at once, before the store, saying the runner id left without its token and the register that repairs it; that register creates no second runner', async () => {
    const w = await world();
    // The Secret's write answers after 3 s: the second Ctrl-C arrives while it is held.
    kube.writeDelayMs = 3_000;
    let r: Awaited<ReturnType<typeof cli>>;
    try {
      r = await cli(w, 'register', { pause: 'created', signals: ['SIGINT', 'SIGINT'] });
    } finally {
      kube.writeDelayMs = 0;
    }
    expect(r.sent).toBe(2);
    expect(r.code, r.err).toBe(130);
    const [runner] = k8sRunners(w);
    expect(r.err).toContain(`runner-fleet register: interrupted (Ctrl-C, SIGINT) before the new token held only in this process was stored: runner #${runner!.id} was created in GitLab for k8s and its token is stored nowhere: runner-fleet register finds it by its marker, resets its token and stores it (no second runner). Repair: runner-fleet register ${w.file} --runner k8s --approve.`);
    // What that says holds, whichever way the write went: the next register leaves one runner and its token stored.
    const next = await cli(w, 'register');
    expect(next.code, next.err).toBe(0);
    expect(k8sRunners(w).map((x) => x.id)).toEqual([runner!.id]);
    expect(storedToken()).toBe(runner!.token);
    noTokens(w, r.out, r.err, next.out, next.err);
  }, 60_000);

  it.skipIf(!OPENSSL)('SIGKILL (cannot be held): the runner is left without its token; the next register finds it by its marker, resets its token and stores it: one runner, no token printed', async () => {
    const w = await world();
    const killed = await cli(w, 'register', { pause: 'created', signals: ['SIGKILL'] });
    expect(killed.signal).toBe('SIGKILL');
    const [runner, ...more] = k8sRunners(w);
    expect(more).toEqual([]);
    expect(secret()).toBeUndefined();
    const tokenAtKill = runner!.token;
    const next = await cli(w, 'register');
    expect(next.code, next.err).toBe(0);
    expect(next.out).toContain(`repair-token k8s #${runner!.id}: the token store is empty: reset the token of #${runner!.id} and store it`);
    expect(k8sRunners(w).map((r) => r.id)).toEqual([runner!.id]);
    expect(runner!.token).not.toBe(tokenAtKill);
    expect(storedToken()).toBe(runner!.token);
    expect(annotation('state')).toBe('valid');
    noTokens(w, killed.out, killed.err, next.out, next.err);
  }, 60_000);
});

describe('rotate interrupted between the token reset and storing the new token', () => {
  it.skipIf(!OPENSSL).each([
    ['SIGINT', 130, 'Ctrl-C, SIGINT'],
    ['SIGTERM', 143, 'SIGTERM'],
  ] as const)('%s: held until the new token is stored, then exit %i saying the manager may still use the old token, that the store records its restart as owed, and the register that restarts it; that register restarts it', async (signal, exit, said) => {
    const w = await world();
    expect((await cli(w, 'register')).code).toBe(0);
    const [runner] = k8sRunners(w);
    const before = runner!.token;
    const patched = patches();
    const r = await cli(w, 'rotate', { pause: 'reset', signals: [signal] });
    expect(r.code, r.err).toBe(exit);
    expect(runner!.token).not.toBe(before);
    expect(storedToken()).toBe(runner!.token);
    // Stop 55 (55c item 2): stored with the manager's restart owed (was 'valid': nothing recorded that the manager still ran with the old token).
    expect(annotation('state')).toBe('restart-owed');
    expect(r.err).toContain(`runner-fleet rotate: interrupted (${said}): the new token was stored first (it existed only in this process), and the run stopped there: the token of #${runner!.id} (k8s) was reset in GitLab and the new one stored in Secret ${SECRET} (cluster devops); its manager was not restarted and may still run with the old token, which GitLab no longer accepts; the token store records that its restart is owed: runner-fleet register ${w.file} --runner k8s --approve restarts it without a new token`);
    expect(patches()).toBe(patched);
    // Before stop 55 the next register said "nothing to do" and left the manager on the old token.
    const token = runner!.token;
    const next = await cli(w, 'register');
    expect(next.code, next.err).toBe(0);
    expect(next.out).toMatch(new RegExp(`done +restart-manager k8s #${runner!.id}: .*; manager restarted`));
    expect(patches()).toBe(patched + 1);
    expect(runner!.token).toBe(token);
    expect(annotation('state')).toBe('valid');
    noTokens(w, r.out, r.err, next.out, next.err);
  }, 60_000);

  it.skipIf(!OPENSSL)('SIGKILL: the store keeps the old token marked pending; rotate without an access token says only a reset by id can repair it and how; register (or rotate) with one repairs it: same runner, new token stored', async () => {
    const w = await world();
    expect((await cli(w, 'register')).code).toBe(0);
    const [runner] = k8sRunners(w);
    const before = runner!.token;
    const killed = await cli(w, 'rotate', { pause: 'reset', signals: ['SIGKILL'] });
    expect(killed.signal).toBe('SIGKILL');
    expect(runner!.token).not.toBe(before);
    expect(storedToken()).toBe(before);
    expect(annotation('state')).toBe('pending');
    // The scheduled pipeline (no access token) cannot repair it, and says what can.
    const pipeline = await cli(w, 'rotate', { accessToken: false });
    expect(pipeline.code, pipeline.err).toBe(1);
    expect(pipeline.out).toContain('a token reset was interrupted before its token was stored: reset by id and store');
    expect(pipeline.out).toContain(`resetting the token of runner #${runner!.id} by its id needs an access token with the manage_runner scope (or api): the store holds no token GitLab accepts (empty, or marked pending by a run that stopped between a reset and storing its new token)`);
    expect(pipeline.out).toContain('give one in RUNNER_FLEET_GITLAB_TOKEN and run runner-fleet register (or this rotate) again');
    const next = await cli(w, 'rotate');
    expect(next.code, next.err).toBe(0);
    expect(k8sRunners(w).map((r) => r.id)).toEqual([runner!.id]);
    expect(storedToken()).toBe(runner!.token);
    expect(annotation('state')).toBe('valid');
    noTokens(w, killed.out, killed.err, pipeline.out, pipeline.err, next.out, next.err);
  }, 90_000);
});

describe('rotate killed after storing the new token, before restarting the manager', () => {
  it.skipIf(!OPENSSL)('SIGKILL (nothing held): the store records the restart as owed; the next register restarts the manager without a new token and marks the store valid', async () => {
    const w = await world();
    expect((await cli(w, 'register')).code).toBe(0);
    const [runner] = k8sRunners(w);
    const patched = patches();
    const killed = await cli(w, 'rotate', { pause: 'stored', signals: ['SIGKILL'] });
    expect(killed.signal).toBe('SIGKILL');
    const token = runner!.token;
    expect(storedToken()).toBe(token);
    expect(annotation('state')).toBe('restart-owed');
    expect(patches()).toBe(patched);
    const next = await cli(w, 'register');
    expect(next.code, next.err).toBe(0);
    expect(next.out).toContain(`restart-manager k8s #${runner!.id}: Secret ${SECRET} (cluster devops) holds the token of #${runner!.id} from a reset whose manager restart is owed`);
    expect(patches()).toBe(patched + 1);
    expect(runner!.token).toBe(token);
    expect(storedToken()).toBe(token);
    expect(annotation('state')).toBe('valid');
    noTokens(w, killed.out, killed.err, next.out, next.err);
  }, 90_000);
});

describe('an interrupt while no new token is held only in memory', () => {
  it('register: stops at once (the handler does not hold it), saying what was applied stays and the command that finishes; --json says so in its one report', async () => {
    const h = harness(writeSpec(opsSpec()));
    let handler: ((signal: 'SIGINT' | 'SIGTERM') => 'hold' | void) | undefined;
    const answers: ('hold' | void)[] = [];
    const exits: number[] = [];
    h.world.onInterrupt = (fn) => {
      handler = fn;
      return () => (handler = undefined);
    };
    h.world.exit = (code) => exits.push(code);
    // SIGTERM when the first manager is restarted: its token is stored, no new token is in memory only.
    const open = h.world.store!;
    let once = false;
    h.world.store = (d, o) => {
      const s = open(d, o);
      const restart = s.restartManager.bind(s);
      s.restartManager = () => {
        if (!once) {
          once = true;
          answers.push(handler?.('SIGTERM'));
        }
        return restart();
      };
      return s;
    };
    const r = await h.run('register', { approve: true, json: true });
    expect(answers).toEqual([undefined]);
    // The default world ends the process right after the handler; this one does not, so the run goes on.
    expect(exits).toEqual([]);
    expect(handler).toBeUndefined();
    expect(r.err).toMatch(/runner-fleet register: interrupted \(SIGTERM\) while no new token was held only in this process: what was applied stays applied, the rest of the plan was not\. To finish: runner-fleet register \S+ --approve \(it reads GitLab and the token stores first and creates no second runner\)/);
    const report = opsReportSchema.parse(JSON.parse(r.out.slice(0, r.out.indexOf('\n}\n') + 2)));
    expect(report.interrupted).toMatchObject({ signal: 'SIGTERM', left: 'what was applied stays applied, the rest of the plan was not' });
    expect(report.interrupted!.stored).toBeUndefined();
    expect(`${r.out}${r.err}`).not.toContain(CANARY);
  });
});

describe('unregister stopped between deleting the runner and emptying its token store', () => {
  it('the next unregister finds no runner and empties the store (its token is of a runner GitLab no longer has); register then creates one runner', async () => {
    const h = harness(writeSpec(opsSpec()));
    expect((await h.run('register', { approve: true, runner: 'k8s' })).code).toBe(0);
    const [runner] = [...h.double.runners.values()].filter((r) => r.description.endsWith(markerText('acme', 'k8s')));
    // What a kill after DELETE /runners/:id leaves: the runner gone, the store still holding its token.
    h.double.runners.delete(runner!.id);
    expect(h.stores.get('k8s')!.value?.runnerId).toBe(runner!.id);
    const again = await h.run('unregister', { approve: true, runner: 'k8s' });
    expect(again.code, again.out).toBe(0);
    expect(again.out).toContain('clear-token k8s: empty memory store of k8s');
    expect(again.out).toContain('done    clear-token k8s: token removed');
    expect(h.stores.get('k8s')!.value).toBeUndefined();
    expect((await h.run('register', { approve: true, runner: 'k8s' })).code).toBe(0);
    expect([...h.double.runners.values()].filter((r) => r.description.endsWith(markerText('acme', 'k8s')))).toHaveLength(1);
    expect(h.output.join('')).not.toContain(CANARY);
  });
});
