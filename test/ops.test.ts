import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { loadAndPlan } from '../src/cli/load.js';
import { parseDuration } from '../src/cli/ops.js';
import { GitLabClient, OutcomeUnknownError } from '../src/live/gitlab.js';
import { backoffMs, DEFAULT_RETRY, rateLimitWaitMs } from '../src/live/retry.js';
import { Redactor } from '../src/live/redact.js';
import { desiredRunners } from '../src/ops/desired.js';
import { correction, driftOf } from '../src/ops/drift.js';
import { confirmsMarker, gitlabDescription, markerText, parseMarker } from '../src/ops/marker.js';
import { opsReportJsonSchema } from '../src/ops/report.js';
import { ROOT } from './helpers/fleet.js';
import { ACCESS_TOKEN, CANARY, count, harness, opsSpec, writeSpec } from './helpers/ops-world.js';
import { GitLabDouble, VirtualClock } from './helpers/gitlab-double.js';

const file = writeSpec(opsSpec());
const committedSchema = JSON.parse(readFileSync(join(ROOT, 'schema', 'ops-report.schema.json'), 'utf8')) as Record<string, unknown>;
const validate = new Ajv2020({ strict: false }).compile(committedSchema);

describe('marker', () => {
  it.each([
    ['acme/dev (runner-fleet) [runner-fleet:acme/dev]', { fleet: 'acme', runner: 'dev' }],
    ['anything at all [runner-fleet:acme/web-2]', { fleet: 'acme', runner: 'web-2' }],
    ['[runner-fleet:acme/dev]', undefined], // the marker follows a description
    ['acme/dev [runner-fleet:acme/dev] edited after', undefined],
    ['acme/dev [runner-fleet:Acme/dev]', undefined],
    ['hand-made runner', undefined],
    [null, undefined],
  ])('%j → %j', (description, want) => {
    expect(parseMarker(description)).toEqual(want);
  });

  it.each([
    [{ description: 'x [runner-fleet:acme/dev]', maintenance_note: `note ${markerText('acme', 'dev')}` }, true],
    [{ description: 'x [runner-fleet:acme/dev]' }, true], // GitLab shows no note to this user
    [{ description: 'x [runner-fleet:acme/dev]', maintenance_note: 'someone else owns this now' }, false],
    [{ description: 'x [runner-fleet:acme/web]', maintenance_note: `note ${markerText('acme', 'dev')}` }, false],
    [{ description: 'x [runner-fleet:other/dev]' }, false],
  ])('deletion is confirmed by %j: %s', (details, ok) => {
    expect(confirmsMarker(details, { fleet: 'acme', runner: 'dev' })).toBe(ok);
  });

  it('every desired description carries its own marker', async () => {
    const plan = await loadAndPlan(file);
    for (const d of desiredRunners(plan.fleet!)) expect(parseMarker(d.settings.description)).toEqual({ fleet: 'acme', runner: d.name });
    expect(gitlabDescription('acme', { name: 'dev', description: 'Dev' })).toBe('Dev [runner-fleet:acme/dev]');
  });
});

describe('drift', () => {
  const want = { description: 'd [runner-fleet:acme/dev]', paused: false, tag_list: ['a', 'b'], run_untagged: false, locked: true, access_level: 'ref_protected' as const, maximum_timeout: 3600, maintenance_note: 'n' };
  it.each([
    ['nothing', { ...want, tag_list: ['b', 'a'] }, []],
    ['tags', { ...want, tag_list: ['a'] }, ['tag_list']],
    ['run untagged and locked', { ...want, run_untagged: true, locked: false }, ['run_untagged', 'locked']],
    ['protection', { ...want, access_level: 'not_protected' }, ['access_level']],
    ['timeout 0 means none', { ...want, maximum_timeout: 0 }, ['maximum_timeout']],
    ['a paused runner is not drift (drain pauses)', { ...want, paused: true }, []],
    ['a hidden maintenance note is not drift', { ...want, maintenance_note: undefined }, []],
    ['an edited description', { ...want, description: 'renamed' }, ['description']],
  ])('%s', (_, have, fields) => {
    const d = driftOf(want, have);
    expect(d.map((x) => x.field)).toEqual(fields);
    expect(Object.keys(correction(want, d))).toEqual(fields);
  });
});

describe('retry timing', () => {
  const headers = (h: Record<string, string>) => ({ get: (k: string) => h[k] ?? null });
  it.each([
    [{ 'retry-after': '7' }, 0, 7000],
    [{ 'retry-after': 'Thu, 01 Jan 1970 00:00:10 GMT' }, 4000, 6000],
    [{ 'ratelimit-reset': '20' }, 5000, 15000],
    [{ 'retry-after': '3', 'ratelimit-reset': '99' }, 0, 3000],
    [{}, 0, undefined],
  ])('%j at %i ms waits %s ms', (h, now, want) => {
    expect(rateLimitWaitMs(headers(h), now)).toBe(want);
  });
  it('backoff is jittered below an exponential cap', () => {
    for (let a = 0; a < 8; a++) {
      const cap = Math.min(DEFAULT_RETRY.maxDelayMs, DEFAULT_RETRY.baseDelayMs * 2 ** a);
      expect(backoffMs(DEFAULT_RETRY, a, () => 0.999)).toBeLessThan(cap);
      expect(backoffMs(DEFAULT_RETRY, a, () => 0)).toBe(0);
    }
  });
  it.each([['90s', 90_000], ['30m', 1_800_000], ['24h', 86_400_000], ['7d', 604_800_000], ['7 days', undefined], ['-1h', undefined]])('duration %s', (t, ms) => {
    expect(parseDuration(t)).toBe(ms);
  });
});

describe('GitLab client', () => {
  const make = (faults: ('503' | 'rate-limit' | 'lost-502' | 'timeout')[]) => {
    const clock = new VirtualClock();
    const double = new GitLabDouble({ accessToken: ACCESS_TOKEN, clock, canary: CANARY, faultRate: 1, faults: [] });
    const gid = double.addGroup('acme');
    let i = 0;
    const fetch: typeof double.fetch = (u, init) => {
      double.opts.faultRate = i < faults.length ? 1 : 0;
      double.opts.faults = i < faults.length ? [faults[i]!] : [];
      i++;
      return double.fetch(u, init);
    };
    const progress: string[] = [];
    return { clock, double, gid, progress, client: new GitLabClient({ baseUrl: 'https://gitlab.example.com', token: ACCESS_TOKEN, fetch, timing: clock, timeoutMs: 0, progress: (l) => progress.push(l) }) };
  };
  it('retries an idempotent GET on 503 and says so on the progress stream', async () => {
    const { client, progress } = make(['503', '503']);
    expect(await client.listRunners({ type: 'group_type', path: 'acme' })).toEqual([]);
    expect(client.totalCalls).toBe(3);
    expect(progress).toHaveLength(2);
    expect(progress[0]).toMatch(/HTTP 503; retrying in/);
  });
  it('waits as long as Retry-After asks, even for a POST (GitLab has not acted)', async () => {
    const { client, clock, gid } = make(['rate-limit']);
    const t0 = clock.now();
    const r = await client.createRunner({ runner_type: 'group_type', group_id: gid, description: 'x' });
    expect(r.token.startsWith('glrt-')).toBe(true);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(client.totalCalls).toBe(2);
  });
  it.each(['lost-502', 'timeout'] as const)('never retries a POST after %s: the outcome is unknown', async (fault) => {
    const { client, gid, double } = make([fault]);
    await expect(client.createRunner({ runner_type: 'group_type', group_id: gid, description: 'x' })).rejects.toBeInstanceOf(OutcomeUnknownError);
    expect(client.totalCalls).toBe(1);
    expect(double.runners.size).toBe(fault === 'lost-502' ? 1 : 0);
  });
  it('speaks real HTTP: the double behind a node:http server, called with the built-in fetch', async () => {
    const clock = new VirtualClock();
    const double = new GitLabDouble({ accessToken: ACCESS_TOKEN, clock });
    const gid = double.addGroup('acme/platform');
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
        void double.fetch(`http://x${req.url}`, { method: req.method!, headers, ...(body ? { body } : {}) }).then(async (a) => {
          const answer = (a as unknown as { answer: { status: number; body: unknown; headers: Record<string, string> } }).answer;
          res.writeHead(answer.status, answer.headers);
          res.end(answer.status === 204 ? undefined : JSON.stringify(answer.body));
          await Promise.resolve();
        });
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const client = new GitLabClient({ baseUrl: `http://127.0.0.1:${port}`, token: ACCESS_TOKEN, fetch: (u, i) => fetch(u, i) });
      const created = await client.createRunner({ runner_type: 'group_type', group_id: gid, description: `x ${markerText('acme', 'dev')}` });
      const listed = await client.listRunners({ type: 'group_type', path: 'acme/platform' });
      expect(listed.map((r) => r.id)).toEqual([created.id]);
      expect(await client.deleteRunner(created.id)).toBe('deleted');
      expect(await client.deleteRunner(created.id)).toBe('gone');
    } finally {
      server.close();
    }
  });
});

describe('commands against the GitLab double', () => {
  it('register creates every API runner once and stores its token; status is then clean (exit 0)', async () => {
    const h = harness(file);
    const reg = await h.run('register', { approve: true, json: true });
    expect(reg.code).toBe(0);
    expect(h.double.runners.size).toBe(4);
    const st = await h.run('status', { json: true });
    expect(st.code).toBe(0);
    expect(count(h, (await loadAndPlan(file)))).toEqual({ duplicates: 0, orphans: 0, lostTokens: 0, tokensInOutput: 0 });
  });

  it('without --approve nothing changes and the plan says how to apply', async () => {
    const h = harness(file);
    const r = await h.run('register');
    expect(r.code).toBe(0);
    expect(h.double.runners.size).toBe(0);
    expect(r.out).toMatch(/create k8s/);
    expect(r.out).toMatch(/run again with --approve/);
  });

  it('status: drift, phantoms and missing runners exit 1; a parent group\'s runner listed in a subgroup is no phantom', async () => {
    const h = harness(file);
    await h.run('register', { approve: true });
    const k8s = [...h.double.runners.values()].find((r) => r.description.endsWith(markerText('acme', 'k8s')))!;
    k8s.tag_list = ['other'];
    h.double.seedRunner({ runner_type: 'group_type', groupId: h.double.groups.get('acme/platform')!, description: `gone ${markerText('acme', 'retired')}` });
    const r = await h.run('status', { json: true });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out) as { runners: { name: string; drift: { field: string }[] }[]; phantoms: { runner: string }[] };
    expect(report.runners.find((x) => x.name === 'k8s')!.drift.map((d) => d.field)).toEqual(['tag_list']);
    expect(report.phantoms.map((p) => p.runner)).toEqual(['retired']);
    const fix = await h.run('register', { approve: true });
    expect(fix.out).toMatch(/update k8s/);
    await h.run('prune', { approve: true });
    expect((await h.run('status')).code).toBe(0);
  });

  it('two register runs at once leave one runner per entry (create-then-deduplicate: the lowest id wins)', async () => {
    const h = harness(file);
    const [a, b] = await Promise.all([h.run('register', { approve: true }), h.run('register', { approve: true })]);
    expect([a.code, b.code]).toEqual([0, 0]);
    expect(count(h, await loadAndPlan(file))).toEqual({ duplicates: 0, orphans: 0, lostTokens: 0, tokensInOutput: 0 });
    expect(h.double.runners.size).toBe(4);
  });

  it('a crash between creating a runner and storing its token is repaired with a token reset, never a second runner', async () => {
    const h = harness(file);
    (h.world.store!({ name: 'docker' } as never, {}) as unknown as { failWrites: number }).failWrites = 1;
    const first = await h.run('register', { approve: true });
    expect(first.code).toBe(1);
    expect(first.out).toMatch(/failed +create docker/);
    const again = await h.run('register', { approve: true });
    expect(again.out).toMatch(/repair-token docker/);
    expect(h.double.runners.size).toBe(4);
    expect(count(h, await loadAndPlan(file)).lostTokens).toBe(0);
  });

  it('a store that cannot be written after GitLab created the runner says so: the runner exists, its token is stored nowhere, register repairs it', async () => {
    const h = harness(file);
    (h.world.store!({ name: 'docker' } as never, {}) as unknown as { failWrites: number }).failWrites = 1;
    const first = await h.run('register', { approve: true, runner: 'docker' });
    expect(first.code).toBe(1);
    const id = [...h.double.runners.values()].find((r) => parseMarker(r.description)?.runner === 'docker')!.id;
    expect(first.out).toContain(`failed  create docker: memory store of docker: write failed (injected); runner #${id} was created in GitLab and its token is stored nowhere: once memory store of docker can be written, runner-fleet register resets its token and stores it (no second runner is created)`);
    const again = await h.run('register', { approve: true, runner: 'docker' });
    expect(again.out).toMatch(new RegExp(`done +repair-token docker #${id}`));
  });

  it('a store that cannot be written after rotate reset the token says that the new token is stored nowhere, and register repairs it', async () => {
    const h = harness(file);
    expect((await h.run('register', { approve: true })).code).toBe(0);
    const store = h.stores.get('k8s')!;
    const write = store.write.bind(store);
    let writes = 0;
    // The first write marks the store `pending`; the second, the new token, fails.
    store.write = (v) => (++writes === 2 ? Promise.reject(new Error('memory store of k8s: write failed (injected)')) : write(v));
    const r = await h.run('rotate', { approve: true, runner: 'k8s' });
    expect(r.code).toBe(1);
    const id = store.value!.runnerId!;
    expect(r.out).toContain(`failed  rotate k8s #${id}: memory store of k8s: write failed (injected); the token of #${id} was reset in GitLab and is stored nowhere`);
    expect(store.value!.state).toBe('pending');
    store.write = write;
    const again = await h.run('register', { approve: true, runner: 'k8s' });
    expect(again.out).toMatch(new RegExp(`done +repair-token k8s #${id}`));
    expect(count(h, await loadAndPlan(file)).lostTokens).toBe(0);
  });

  it.each([
    ['the spec lists the parent group too', false],
    ['register --runner lists only the subgroup', true],
  ])('a runner of the parent group that a subgroup\'s listing returns too is not the subgroup\'s: a runner moved from acme to acme/platform is created there (%s)', async (_, only) => {
    const h = harness(file);
    // docker (acme/platform in the spec) as it was when the spec put it in acme.
    const old = h.double.seedRunner({ runner_type: 'group_type', groupId: h.double.groups.get('acme')!, description: `acme/docker (runner-fleet) ${markerText('acme', 'docker')}`, maintenance_note: markerText('acme', 'docker') });
    const s = await h.run('status');
    expect(s.out).toContain('runner docker (group:acme/platform, registration api): NOT REGISTERED');
    expect(s.out).toContain(`phantom #${old.id} (group:acme): `);
    const r = await h.run('register', { approve: true, ...(only ? { runner: 'docker' } : {}) });
    expect(r.code).toBe(0);
    const docker = [...h.double.runners.values()].filter((x) => parseMarker(x.description)?.runner === 'docker');
    expect(docker.map((x) => [x.id, x.groupId])).toEqual([[old.id, h.double.groups.get('acme')], [expect.any(Number), h.double.groups.get('acme/platform')]]);
    expect((await h.run('status')).out).toMatch(new RegExp(`runner docker \\(group:acme/platform, registration api\\): #${docker[1]!.id} `));
    const p = await h.run('prune', { approve: true });
    expect(p.out).toMatch(new RegExp(`done +delete docker #${old.id}`));
    expect(h.double.runners.has(old.id)).toBe(false);
    expect(h.double.runners.has(docker[1]!.id)).toBe(true);
  });

  it('prune deletes only runners with this fleet\'s marker, and re-reads each before deleting', async () => {
    const h = harness(file);
    const gid = h.double.groups.get('acme/platform')!;
    const phantom = h.double.seedRunner({ runner_type: 'group_type', groupId: gid, description: `x ${markerText('acme', 'old')}` });
    const otherFleet = h.double.seedRunner({ runner_type: 'group_type', groupId: gid, description: `x ${markerText('other', 'old')}` });
    const foreign = h.double.seedRunner({ runner_type: 'group_type', groupId: gid, description: 'hand-made' });
    const claimed = h.double.seedRunner({ runner_type: 'group_type', groupId: gid, description: `y ${markerText('acme', 'older')}` });
    // Between the plan's listing and the deletion, someone takes the runner over.
    const fetch = h.world.fetch!;
    h.world.fetch = (u, i) => {
      if (i.method === 'GET' && u.endsWith(`/runners/${claimed.id}`)) claimed.description = 'taken over by a person';
      return fetch(u, i);
    };
    const r = await h.run('prune', { approve: true });
    expect(h.double.runners.has(phantom.id)).toBe(false);
    expect(h.double.runners.has(otherFleet.id)).toBe(true);
    expect(h.double.runners.has(foreign.id)).toBe(true);
    expect(h.double.runners.has(claimed.id)).toBe(true);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(new RegExp(`#${claimed.id} no longer carries the marker`));
  });

  it('rotate --if-expiring-within skips fresh tokens and rotates expiring ones; the manager comes back with the new token', async () => {
    const h = harness(file, { tokenLifetimeMs: 10 * 86_400_000 });
    await h.run('register', { approve: true });
    const before = h.stores.get('k8s')!.value!.token;
    const skip = await h.run('rotate', { approve: true, ifExpiringWithin: '7d' });
    expect(skip.out).toMatch(/plan: nothing to do/);
    h.clock.t += 4 * 86_400_000;
    const r = await h.run('rotate', { approve: true, ifExpiringWithin: '7d', runner: 'k8s' });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/online with the new token/);
    expect(h.stores.get('k8s')!.value!.token).not.toBe(before);
    expect(h.stores.get('k8s')!.restarts).toBeGreaterThan(0);
    expect(count(h, await loadAndPlan(file)).lostTokens).toBe(0);
  });

  it('rotate works without an access token (the scheduled pipeline): the current token resets itself', async () => {
    const h = harness(file);
    await h.run('register', { approve: true });
    h.world.env = {};
    const r = await h.run('rotate', { approve: true });
    expect(r.code).toBe(0);
    expect(count(h, await loadAndPlan(file)).lostTokens).toBe(0);
    expect(r.out).toMatch(/not waiting/);
  });

  it('a runner token from the store is never printed, whatever its shape, even when GitLab quotes it back', async () => {
    // Before: a token without the glrt- prefix (an instance with its own prefix) that GitLab's 400
    // quoted was printed in "failed rotate …" and in --json "detail".
    const h = harness(file);
    await h.run('register', { approve: true });
    const secret = 'zz-SECRETVALUE0123456789abcdef';
    h.stores.get('k8s')!.value!.token = secret;
    const inner = h.world.fetch!;
    h.world.fetch = (url, init) => {
      const path = new URL(String(url)).pathname;
      if (init?.method === 'POST' && /\/runners\/(\d+\/)?reset_authentication_token$/.test(path)) {
        return Promise.resolve(new Response(JSON.stringify({ message: { token: [`${secret} is not valid`] } }), { status: 400, headers: { 'content-type': 'application/json' } }));
      }
      return inner(url, init);
    };
    for (const json of [false, true]) {
      const r = await h.run('rotate', { approve: true, runner: 'k8s', json });
      expect(r.code).toBe(1);
      expect(`${r.out}${r.err}`).toMatch(/400/);
      expect(`${r.out}${r.err}`).toMatch(/\[REDACTED\] is not valid/);
      expect(`${r.out}${r.err}`).not.toContain('SECRETVALUE');
    }
  });

  it('drain pauses, waits for running jobs with progress on stderr, and resume unpauses', async () => {
    const h = harness(file);
    await h.run('register', { approve: true });
    const k8s = [...h.double.runners.values()].find((r) => r.description.endsWith(markerText('acme', 'k8s')))!;
    Object.assign(k8s, { runningJobs: 3, jobsEndAt: h.clock.now() + 60_000 });
    const r = await h.run('drain', { approve: true, runner: 'k8s', json: true });
    expect(r.code).toBe(0);
    expect(k8s.paused).toBe(true);
    expect(r.err).toMatch(/3 job\(s\) running; waiting/);
    expect(JSON.parse(r.out)).toMatchObject({ command: 'drain', approved: true });
    Object.assign(k8s, { runningJobs: 1, jobsEndAt: undefined });
    const stuck = await h.run('drain', { approve: true, runner: 'k8s', timeout: '1m' });
    expect(stuck.code).toBe(1);
    expect(stuck.out).toMatch(/1 jobs still run/);
    await h.run('resume', { approve: true, runner: 'k8s' });
    expect(k8s.paused).toBe(false);
  });

  it('unregister deletes the runner and empties its store', async () => {
    const h = harness(file);
    await h.run('register', { approve: true });
    const r = await h.run('unregister', { approve: true, runner: 'docker' });
    expect(r.code).toBe(0);
    expect(h.double.runners.size).toBe(3);
    expect(h.stores.get('docker')!.value).toBeUndefined();
    // Run again: nothing is left to delete or empty, and it does not claim to remove the token again.
    const again = await h.run('unregister', { approve: true, runner: 'docker' });
    expect(again.code).toBe(0);
    expect(again.out).not.toMatch(/clear-token|token removed/);
  });

  it.each([
    ['drain without --runner', 'drain', {}, /--runner NAME is required/],
    ['an unknown runner', 'unregister', { runner: 'nope' }, /no runner named "nope".*runners: k8s, docker, fargate, autoscale/],
    ['a bad duration', 'rotate', { ifExpiringWithin: 'soon' }, /--if-expiring-within "soon" is not a whole number with a unit: give a whole number and a unit, s, m, h or d/],
  ] as const)('%s is a command error (exit 2)', async (_, command, opts, message) => {
    const h = harness(file);
    const r = await h.run(command, opts);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('no access token: exit 2, saying where a token may come from (never an argument)', async () => {
    const h = harness(file);
    h.world.env = {};
    const r = await h.run('register', { approve: true });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/RUNNER_FLEET_GITLAB_TOKEN.*--token-stdin; never as an argument/);
  });
});

describe('--json of every command', () => {
  it('schema/ops-report.schema.json is current (npm run gen)', () => {
    expect(committedSchema).toEqual(JSON.parse(JSON.stringify(opsReportJsonSchema())));
  });

  it('every command\'s --json validates against the committed schema, token canary nowhere in any output', async () => {
    const h = harness(file, { seed: 3, faultRate: 0.2 });
    h.double.seedRunner({ runner_type: 'instance_type', description: `x ${markerText('acme', 'old')}` });
    const outputs: string[] = [];
    for (const [command, opts] of [
      ['status', {}], ['register', {}], ['register', { approve: true }], ['status', {}], ['status', { verifyTokens: true }], ['rotate', { approve: true }],
      ['drain', { runner: 'k8s', approve: true }], ['resume', { runner: 'k8s', approve: true }], ['prune', {}], ['prune', { approve: true }],
      ['unregister', { runner: 'fargate', approve: true }], ['register', { approve: true, tokenStdin: true }],
    ] as const) {
      const r = await h.run(command, { ...opts, json: true });
      const report = JSON.parse(r.out) as unknown;
      expect(validate(report), `${command}: ${JSON.stringify(validate.errors)}`).toBe(true);
      expect(report).toMatchObject({ command, exitCode: r.code });
      outputs.push(r.out, r.err);
    }
    expect(h.double.faultLog.length).toBeGreaterThan(0);
    expect(outputs.join('\n')).not.toContain(CANARY);
  });

  it('a token pasted as an argument is refused by the CLI and not echoed', async () => {
    let out = '';
    const code = await main(['register', file, `--token=${ACCESS_TOKEN}`], { out: (s) => (out += s), err: (s) => (out += s) });
    expect(code).toBe(2);
    expect(out).toMatch(/unknown option/);
    expect(out).not.toContain(CANARY);
  });

  it('the redactor removes known secrets and anything shaped like a GitLab token', () => {
    const r = new Redactor();
    r.add('s3cr3t-value');
    expect(r.redact('a s3cr3t-value b glrt-abcdefghijklmnop c glpat-0123456789abcdef')).toBe('a [REDACTED] b [REDACTED] c [REDACTED]');
  });
});
