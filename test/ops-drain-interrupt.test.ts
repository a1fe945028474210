import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { interruptedDrain, resumeCommand } from '../src/cli/ops.js';
import { opsReportSchema } from '../src/ops/report.js';
import { markerText } from '../src/ops/marker.js';
import { ROOT } from './helpers/fleet.js';
import { GitLabDouble, VirtualClock } from './helpers/gitlab-double.js';
import { serveGitLab } from './helpers/gitlab-https.js';
import { ACCESS_TOKEN, CANARY, harness, opsSpec, writeSpec } from './helpers/ops-world.js';
import { which } from './helpers/tools.js';

/**
 * Stop 52 (52e's list): Ctrl-C or SIGTERM while `drain` waits for a paused runner's jobs ended with
 * the default signal exit and nothing said, though the runner stays paused (GitLab gives it no new
 * jobs) until someone resumes it. Now drain says so, with the commands that resume it or wait again,
 * and exits 130 (SIGINT) or 143 (SIGTERM).
 */

let server: Server | undefined;
afterEach(() => {
  server?.close();
  server = undefined;
});

/** `runner-fleet drain --approve` in a child process, sent `signal` once it says it is waiting. */
async function drainThenSignal(signal: 'SIGINT' | 'SIGTERM', dir: string, json = false) {
  const double = new GitLabDouble({ accessToken: ACCESS_TOKEN, clock: new VirtualClock(), canary: CANARY });
  double.addGroup('acme');
  double.addGroup('acme/platform');
  double.addProject('acme/platform/api');
  // The k8s runner, two jobs running that never end by themselves.
  const k8s = double.seedRunner({ runner_type: 'group_type', groupId: double.groups.get('acme')!, description: `acme/k8s (runner-fleet) ${markerText('acme', 'k8s')}`, tag_list: ['k8s'], runningJobs: 2 });
  const served = await serveGitLab(double, { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) });
  server = served.server;
  const spec = opsSpec();
  spec.gitlab.url = served.url;
  const file = writeSpec(spec);
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'runner-fleet.cjs'), 'drain', file, '--runner', 'k8s', '--approve', '--ca-file', join(dir, 'cert.pem'), ...(json ? ['--json'] : [])], { env: { PATH: process.env.PATH, RUNNER_FLEET_GITLAB_TOKEN: ACCESS_TOKEN }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let sent = false;
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => {
    err += c.toString();
    if (!sent && /job\(s\) running; waiting/.test(err)) {
      sent = true;
      child.kill(signal);
    }
  });
  const code = await new Promise<number | null>((ok) => child.on('close', (c) => ok(c)));
  return { code, out, err, file, k8s, sent };
}

const OPENSSL = which('openssl');

describe('drain interrupted while it waits', () => {
  if (!OPENSSL) console.log('SKIPPED: drain interrupted in a child process: openssl is not on PATH to make the test GitLab\'s certificate');
  it.skipIf(!OPENSSL).each([
    ['SIGINT', 130, 'Ctrl-C, SIGINT'],
    ['SIGTERM', 143, 'SIGTERM'],
  ] as const)('%s: exit %i, the runner stays paused and drain says how to resume it or wait again', async (signal, exit, said) => {
    const dir = mkdtempSync(join(tmpdir(), 'rf-drain-'));
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const r = await drainThenSignal(signal, dir);
    expect(r.sent).toBe(true);
    expect(r.code).toBe(exit);
    expect(r.k8s.paused).toBe(true);
    expect(r.err).toContain(`interrupted (${said}) while waiting for the jobs of runner k8s (#${r.k8s.id}): it stays paused`);
    expect(r.err).toContain(`runner-fleet resume ${r.file} --runner k8s --approve`);
    expect(r.err).toContain('run the same drain again');
    expect(`${r.out}${r.err}`).not.toContain(CANARY);
  }, 30_000);

  it.skipIf(!OPENSSL).each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('--json, %s: one JSON report on stdout saying it was interrupted, the runner ids paused and the resume command; exit %i', async (signal, exit) => {
    const dir = mkdtempSync(join(tmpdir(), 'rf-drain-json-'));
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const r = await drainThenSignal(signal, dir, true);
    expect(r.sent).toBe(true);
    expect(r.code).toBe(exit);
    // Before: stdout was empty (the words on stderr only).
    const report = opsReportSchema.parse(JSON.parse(r.out));
    expect(report).toMatchObject({ command: 'drain', approved: true, failedAt: 'apply', exitCode: exit, interrupted: { signal, runner: 'k8s', ids: [r.k8s.id], paused: true, resume: `runner-fleet resume ${r.file} --runner k8s --approve` } });
    expect(report.plan?.map((s) => s.action)).toContain('pause');
    expect(report.error).toContain('it stays paused');
    expect(r.err).toContain('it stays paused');
    expect(`${r.out}${r.err}`).not.toContain(CANARY);
    expect(`${r.out}${r.err}`).not.toContain(ACCESS_TOKEN);
  }, 30_000);

  it('the listener is gone once drain ends: a drain that finishes leaves no handler behind', async () => {
    const h = harness(writeSpec(opsSpec()));
    let listening = 0;
    let registered = 0;
    h.world.onInterrupt = () => {
      listening++;
      registered++;
      return () => listening--;
    };
    await h.run('register', { approve: true });
    // register listens too while it applies (a new token is held until it is stored) and stops when it ends.
    expect(listening).toBe(0);
    registered = 0;
    const k8s = [...h.double.runners.values()].find((r) => r.description.endsWith(markerText('acme', 'k8s')))!;
    Object.assign(k8s, { runningJobs: 1, jobsEndAt: h.clock.now() + 30_000 });
    expect((await h.run('drain', { approve: true, runner: 'k8s' })).code).toBe(0);
    expect(registered).toBe(1);
    expect(listening).toBe(0);
    // Without --approve nothing is paused, so nothing is said on an interrupt: no listener.
    await h.run('drain', { runner: 'k8s' });
    expect(registered).toBe(1);
  });

  it('one resume command serves the message and the --json report, the runner name made safe in it too', () => {
    // Before: built twice (the message, the --json `resume`), the runner name not passed through safeText.
    const runner = 'k8s\u001b[31m';
    const said = interruptedDrain('SIGINT', 'fleet.yaml', runner, [3]);
    expect(said).toContain(`To let it take jobs again: ${resumeCommand('fleet.yaml', runner)}.`);
    expect(resumeCommand('fleet.yaml', runner)).toBe('runner-fleet resume fleet.yaml --runner k8s\\u001b[31m --approve');
    expect(said).not.toContain('\u001b');
  });

  it('the message names every runner id paused and quotes the spec path safely', () => {
    expect(interruptedDrain('SIGINT', 'fleet.yaml', 'web', [3, 9])).toContain('runner web (#3, #9): it stays paused');
    expect(interruptedDrain('SIGTERM', 'a\u001b[31mb.yaml', 'web', [3])).not.toContain('\u001b');
  });
});
