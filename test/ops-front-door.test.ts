import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import { markerText } from '../src/ops/marker.js';
import { ROOT } from './helpers/fleet.js';
import { harness, opsSpec, writeSpec } from './helpers/ops-world.js';

/**
 * A first run of the operations commands by someone who does not know them yet, found by trying
 * them against the GitLab double: a gitlab.url that is not GitLab's address was said to be a
 * missing group; a drain that timed out did not say that the runner stays paused nor what to do;
 * a runner deleted between the listing and the step was a bare "404 Runner Not Found".
 */

const html404 = () => Promise.resolve(new Response('<html><body><h1>404 Not Found</h1>nginx</body></html>', { status: 404, headers: { 'content-type': 'text/html' } }));

describe('a gitlab.url that is not the address GitLab answers its API at', () => {
  it('ending with /api/v4: GitLab\'s catch-all 404 is said to be the address, not the group (exit 2, read failed)', async () => {
    const spec = opsSpec();
    spec.gitlab.url = 'https://gitlab.example.com/api/v4';
    const h = harness(writeSpec(spec));
    for (const command of ['status', 'register'] as const) {
      const r = await h.run(command, { approve: command === 'register' });
      expect(r.code).toBe(2);
      expect(r.out).toContain("error: GitLab answered 404 to GET /groups/acme/runners: GitLab's API has no such route (GitLab says: 404 Not Found), so the address is wrong, not the group");
      expect(r.out).toContain('check gitlab.url in the spec: GitLab\'s address without /api/v4 (remove it: runner-fleet adds it)');
      expect(r.out).not.toContain('there is no group');
    }
    expect(h.double.runners.size).toBe(0);
    const j = JSON.parse((await h.run('status', { json: true })).out);
    expect(j).toMatchObject({ exitCode: 2, failedAt: 'read' });
    expect(j.error).toContain('gitlab.url');
  });

  it('a page of a proxy or web server (no GitLab API error): the address, with the path GitLab is served under', async () => {
    const h = harness(writeSpec(opsSpec()));
    h.world.fetch = html404;
    const r = await h.run('status');
    expect(r.code).toBe(2);
    expect(r.out).toContain('GitLab answered 404 to GET /groups/acme/runners: its body is no GitLab API error (a page of a proxy or web server), so the address is wrong, not the group: runner-fleet calls https://gitlab.com/api/v4…; check gitlab.url in the spec');
    expect(r.out).toContain('with the path GitLab is served under if any');
    expect(r.out).not.toContain('remove it');
  });

  it('instance runners only: the list of all runners says the same', async () => {
    const spec = opsSpec();
    for (const r of spec.runners) r.gitlab = { instance: true, tags: ['x'] };
    const h = harness(writeSpec(spec));
    h.world.fetch = html404;
    const r = await h.run('status');
    expect(r.code).toBe(2);
    expect(r.out).toContain('GitLab answered 404 to GET /runners/all: its body is no GitLab API error (a page of a proxy or web server), so the address is wrong, not the runner list');
  });

  it('GitLab naming the group it did not find is still the group (the spec key and membership)', async () => {
    const spec = opsSpec();
    spec.runners[0].gitlab.group = 'acme-typo';
    const h = harness(writeSpec(spec));
    const r = await h.run('status');
    expect(r.code).toBe(2);
    expect(r.out).toContain('there is no group acme-typo that the access token\'s user can see (GitLab says: 404 Group Not Found): check runners[].gitlab.group');
    expect(r.out).not.toContain('gitlab.url');
  });
});

describe('drain that times out', () => {
  it('says the runner stays paused and what to do next (exit 1)', async () => {
    const h = harness(writeSpec(opsSpec()));
    expect((await h.run('register', { approve: true })).code).toBe(0);
    const runner = [...h.double.runners.values()].find((r) => r.description.includes('/k8s]'))!;
    runner.runningJobs = 2;
    const r = await h.run('drain', { runner: 'k8s', approve: true, timeout: '5m' });
    expect(r.code).toBe(1);
    expect(r.out).toContain(`failed  wait-for-jobs k8s #${runner.id}: 2 jobs still run on k8s (#${runner.id}) after 300 s; the runner stays paused (GitLab gives it no new jobs): run drain again with a longer --timeout to wait for them, or resume to let it take jobs again`);
    expect(runner.paused).toBe(true);
    expect((await h.run('resume', { runner: 'k8s', approve: true })).code).toBe(0);
    expect(runner.paused).toBe(false);
  });
});

describe('a runner deleted in GitLab between the listing and the step', () => {
  /** Deletes every runner right after the first listing of a scope answers. */
  const deleteAfterListing = (h: ReturnType<typeof harness>) => {
    const real = h.double.fetch;
    let done = false;
    h.world.fetch = async (url, init) => {
      const res = await real(url, init);
      if (!done && init.method === 'GET' && /\/(groups|projects)\/[^/]+\/runners\?|\/runners\/all\?/.test(url)) {
        done = true;
        h.double.runners.clear();
      }
      return res;
    };
  };
  const gone = (id: number) => `runner #${id} was in GitLab when this run listed it, and is gone now (deleted since, or no longer visible to the access token's user); nothing was changed on it: run status to see what GitLab has, and register to create the runner again`;

  it.each([
    ['drain', 'pause', 'PUT /runners/:id'],
    ['resume', 'resume', 'PUT /runners/:id'],
    ['rotate', 'rotate', 'POST /runners/:id/reset_authentication_token'],
  ] as const)('%s: the failed %s step says it is gone and what to run (exit 1)', async (command, action, call) => {
    const h = harness(writeSpec(opsSpec()));
    expect((await h.run('register', { approve: true })).code).toBe(0);
    const id = [...h.double.runners.values()].find((r) => r.description.includes('/k8s]'))!.id;
    deleteAfterListing(h);
    const r = await h.run(command, { runner: 'k8s', approve: true });
    expect(r.code).toBe(1);
    expect(r.out).toContain(`failed  ${action} k8s #${id}: GitLab answered 404 to ${call.replace(':id', String(id))}: 404 Runner Not Found: ${gone(id)}`);
  });

  it('a runner still there: the same steps are done', async () => {
    const h = harness(writeSpec(opsSpec()));
    expect((await h.run('register', { approve: true })).code).toBe(0);
    const r = await h.run('drain', { runner: 'k8s', approve: true });
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('is gone now');
  });
});

describe('the flags other tools use for a dry run or for approval', () => {
  const spec = join(ROOT, 'examples', 'eks-api-rotation.yaml');
  const cli = async (...argv: string[]) => {
    let out = '';
    let err = '';
    const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t) });
    return { code, out, err };
  };

  it.each([
    [['register', spec, '--dry-run'], "error: unknown option '--dry-run'", 'hint: without --approve, register prints its plan and changes nothing: that is the dry run (there is no --dry-run)'],
    [['prune', spec, '--dry-run=true'], "error: unknown option '--dry-run=true'", 'hint: without --approve, prune prints its plan and changes nothing'],
    [['status', spec, '--dry-run'], "error: unknown option '--dry-run'", 'hint: status only reads; it changes nothing (there is no --dry-run)'],
    [['rotate', spec, '--yes'], "error: unknown option '--yes'", 'hint: rotate acts on its plan with --approve (without it, it prints the plan and changes nothing)'],
    [['unregister', spec, '--runner', 'x', '-y'], "error: unknown option '-y'", 'hint: unregister acts on its plan with --approve'],
    [['status', spec, '--force'], "error: unknown option '--force'", 'hint: status only reads; there is nothing to approve'],
  ])('%j: exit 2, the error and the hint', async (argv, error, hint) => {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(error);
    expect(r.err).toContain(hint);
  });

  it('another unknown option gets no such hint', async () => {
    const r = await cli('register', spec, '--bogus');
    expect(r.code).toBe(2);
    expect(r.err).toContain("error: unknown option '--bogus'");
    expect(r.err).not.toContain('hint:');
  });
});

describe('a list of several pages, through a proxy that drops some of GitLab\'s pagination headers', () => {
  /** 250 runners of other teams in group acme, then this fleet's k8s runner, on page 3 of 100. */
  const crowded = () => {
    const h = harness(writeSpec(opsSpec()));
    const acme = h.double.groups.get('acme')!;
    for (let i = 0; i < 250; i++) h.double.seedRunner({ description: `team ${i} runner`, runner_type: 'group_type', groupId: acme });
    const k8s = h.double.seedRunner({ description: `k8s ${markerText('acme', 'k8s')}`, runner_type: 'group_type', groupId: acme, tag_list: ['k8s'], maximum_timeout: 3600 });
    return { h, k8s };
  };
  /** The double's answers with the named headers removed (what such a proxy passes on). */
  const dropping = (h: ReturnType<typeof harness>, drop: string[]) => {
    const real = h.double.fetch;
    h.world.fetch = async (url, init) => {
      const res = await real(url, init);
      return { ...res, ok: res.ok, status: res.status, json: () => res.json(), text: () => res.text(), headers: { get: (name: string) => (drop.includes(name.toLowerCase()) ? null : res.headers.get(name)) } } as unknown as Response;
    };
  };

  it('GitLab\'s own headers: x-next-page and Link agree, and every page is read', async () => {
    const { h, k8s } = crowded();
    const res = await h.double.fetch('https://gitlab.com/api/v4/groups/acme/runners?type=group_type&per_page=100&page=2', { method: 'GET', headers: { 'private-token': h.world.env.RUNNER_FLEET_GITLAB_TOKEN! } });
    expect(res.headers.get('x-next-page')).toBe('3');
    const link = res.headers.get('link')!;
    const pageOf = (rel: string) => new URL(new RegExp(`<([^>]*)>; rel="${rel}"`).exec(link)![1]!).searchParams.get('page');
    expect([pageOf('next'), pageOf('prev'), pageOf('first'), pageOf('last')]).toEqual(['3', '1', '1', '3']);
    const r = await h.run('register', { runner: 'k8s' });
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('create k8s');
    expect(r.out).toContain(`#${k8s.id}`);
  });

  it.each([
    ['x-next-page dropped: Link rel="next" is followed', ['x-next-page']],
    ['both dropped: a full page asks for the next one', ['x-next-page', 'link']],
  ])('%s; the runner on page 3 is found, never created again', async (_name, drop) => {
    const { h, k8s } = crowded();
    dropping(h, drop);
    const plan = await h.run('register', { runner: 'k8s' });
    expect(plan.code).toBe(0);
    expect(plan.out).not.toContain('create k8s');
    const st = await h.run('status', { runner: 'k8s', json: true });
    expect(JSON.parse(st.out).runners.find((x: { name: string }) => x.name === 'k8s').ids).toEqual([k8s.id]);
    await h.run('register', { runner: 'k8s', approve: true });
    expect([...h.double.runners.values()].filter((x) => x.description.endsWith(markerText('acme', 'k8s')))).toHaveLength(1);
  });

  it('a Link whose next page goes back is an answer error, not a loop', async () => {
    const { h } = crowded();
    const real = h.double.fetch;
    h.world.fetch = async (url, init) => {
      const res = await real(url, init);
      return { ...res, ok: res.ok, status: res.status, json: () => res.json(), text: () => res.text(), headers: { get: (n: string) => (n.toLowerCase() === 'x-next-page' ? null : n.toLowerCase() === 'link' ? '<https://gitlab.com/api/v4/groups/acme/runners?page=1&per_page=100>; rel="next"' : res.headers.get(n)) } } as unknown as Response;
    };
    const r = await h.run('status', { runner: 'k8s' });
    expect(r.code).toBe(1);
    expect(r.out).toContain('Link rel="next" page "1" after page 1');
  });
});

describe('a refusal that is not GitLab\'s: a gateway, a firewall, a proxy', () => {
  const answering = (status: number, body: string, type: string) => () => Promise.resolve(new Response(body, { status, headers: { 'content-type': type } }));

  it.each([
    [401, '<html><body>Sign in with your company account</body></html>', 'text/html'],
    [403, '<html><body><h1>Access denied</h1>Request blocked by the web application firewall</body></html>', 'text/html'],
    [403, 'Forbidden\n', 'text/plain'],
  ])('%i with a body that is no GitLab API error: not said to be the token (exit 1, read failed)', async (status, body, type) => {
    const h = harness(writeSpec(opsSpec()));
    h.world.fetch = answering(status, body, type);
    const r = await h.run('status');
    expect(r.code).toBe(1);
    expect(r.out).toContain(`error: GitLab answered ${status} to GET /groups/acme/runners: the body has no GitLab API error, so this is not GitLab judging the access token but something in front of it (a gateway asking for a sign-in, a firewall or WAF page, an IP allow list)`);
    expect(r.out).not.toMatch(/create a new one|it needs the scope/);
    expect(JSON.parse((await h.run('status', { json: true })).out)).toMatchObject({ exitCode: 1, failedAt: 'read' });
  });

  it.each([
    [401, '{"message":"401 Unauthorized"}', 'the access token is not accepted (invalid, expired or revoked; GitLab says: 401 Unauthorized): create a new one'],
    [403, '{"message":"403 Forbidden"}', 'the access token may not do this (GitLab says: 403 Forbidden): it needs the scope manage_runner'],
  ])('GitLab\'s own %i (its JSON error) is still the token (exit 2)', async (status, body, message) => {
    const h = harness(writeSpec(opsSpec()));
    h.world.fetch = answering(status, body, 'application/json');
    const r = await h.run('status');
    expect(r.code).toBe(2);
    expect(r.out).toContain(message);
  });

  it('407 from a proxy: its credentials go in the proxy URL (exit 2), whatever the body', async () => {
    const h = harness(writeSpec(opsSpec()));
    h.world.fetch = answering(407, '<html>Proxy Authentication Required</html>', 'text/html');
    const r = await h.run('status');
    expect(r.code).toBe(2);
    expect(r.out).toContain('error: GitLab answered 407 to GET /groups/acme/runners: a proxy between here and GitLab asks for its own credentials (Proxy Authentication Required), not GitLab: give them in the proxy URL, HTTPS_PROXY=http://<user>:<password>@<host>:<port>');
  });
});
