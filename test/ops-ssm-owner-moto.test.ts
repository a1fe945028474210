import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SsmParameterStore } from '../src/live/ssm.js';
import type { DesiredRunner } from '../src/ops/desired.js';
import type { TokenStore } from '../src/ops/ports.js';
import { TOKEN_PLACEHOLDER } from '../src/platforms/aws-vm/common.js';
import { parseMarker } from '../src/ops/marker.js';
import { CANARY, harness, opsSpec, writeSpec, type Harness } from './helpers/ops-world.js';
import { report, startMoto, which } from './helpers/tools.js';

/**
 * The owner of a VM runner's token, `runner-fleet:owner` on its SSM parameter, through the real
 * SSM client (the AWS SDK) against moto_server: register writes it beside the token and reads it
 * back; a parameter another owner holds is a conflict the plan names and --approve refuses,
 * taken before the plan or between the plan and the write; status names it as drift. In the
 * conformance group (starting the emulator takes seconds): SKIPPED with the reason without moto.
 */
const skipAll = process.env.RUNNER_FLEET_SKIP_CONFORMANCE;
const moto = skipAll ? undefined : which('moto_server');
const skip = skipAll ? `RUNNER_FLEET_SKIP_CONFORMANCE (${skipAll})` : !moto ? 'moto_server is not on PATH' : undefined;
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const REGION = 'eu-central-1';

interface Report {
  plan?: { action: string; detail: string }[];
  results?: { action: string; outcome: string; detail: string }[];
  runners?: { name: string; store?: { state: string; owner: string | null; detail: string } }[];
}

describe('the owner tag of SSM token stores (real SSM calls against moto_server)', () => {
  let server: { url: string; stop: () => void } | undefined;
  let endpoint = '';
  beforeAll(async () => {
    if (skip) return;
    server = await startMoto(moto!);
    endpoint = server.url;
  }, 125_000);
  afterAll(() => {
    server?.stop();
  });

  const sdk = async () => {
    const ssm = await import('@aws-sdk/client-ssm');
    return { ssm, client: new ssm.SSMClient({ region: REGION, endpoint, credentials }) };
  };
  const tags = async (name: string) => {
    const { ssm, client } = await sdk();
    const out = await client.send(new ssm.ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: name }));
    return Object.fromEntries((out.TagList ?? []).map((t) => [t.Key, t.Value]));
  };
  const value = async (name: string) => {
    const { ssm, client } = await sdk();
    return (await client.send(new ssm.GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter!.Value;
  };

  /**
   * The fleet with its VM runner `docker` on a real SSM parameter in moto (created by "Terraform"
   * with the placeholder unless `absent`); `onRead` runs before each read of it. `via`: the SSM
   * endpoint the store calls (a faulty proxy in front of moto), with `maxAttempts` SDK attempts.
   */
  async function fleet(onRead: (reads: number) => Promise<void> = () => Promise.resolve(), opts: { via?: string; maxAttempts?: number; absent?: boolean } = {}): Promise<{ h: Harness; parameter: string }> {
    await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
    const h = harness(writeSpec(opsSpec()));
    let reads = 0;
    const memory = h.world.store!;
    let docker: TokenStore | undefined;
    h.world.store = (d: DesiredRunner, o) => {
      if (d.name !== 'docker' || d.store.kind !== 'ssm-parameter') return memory(d, o);
      if (!docker) {
        const real = new SsmParameterStore(d.store, { endpoint: opts.via ?? endpoint, credentials, ...(opts.maxAttempts !== undefined ? { maxAttempts: opts.maxAttempts } : {}) });
        docker = {
          label: real.label,
          read: async () => {
            await onRead(++reads);
            return real.read();
          },
          write: (v) => real.write(v),
          clear: () => real.clear(),
          restartManager: () => real.restartManager(),
          markRestarted: (v) => real.markRestarted(v),
        };
      }
      return docker;
    };
    // The parameter the spec resolves for runner docker of fleet acme, as Terraform creates it.
    const parameter = '/runner-fleet/acme/docker/runner-token';
    if (opts.absent) return { h, parameter };
    const { ssm, client } = await sdk();
    await client.send(new ssm.PutParameterCommand({ Name: parameter, Value: TOKEN_PLACEHOLDER, Type: 'SecureString' }));
    return { h, parameter };
  }

  /**
   * A proxy in front of moto that answers the next `tagFailures` AddTagsToResource calls made
   * after a PutParameter of a token (not the placeholder) with ThrottlingException: the tag call
   * that follows the value fails once its retries are spent (or the run is stopped there).
   */
  async function tagsFailAfterPut(tagFailures: number): Promise<{ url: string; failed: () => number; close: () => void }> {
    let armed = false;
    let failed = 0;
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const op = String(req.headers['x-amz-target'] ?? '').replace(/^AmazonSSM\./, '');
        if (op === 'PutParameter' && (JSON.parse(body.toString()) as { Value?: string }).Value !== TOKEN_PLACEHOLDER) armed = true;
        if (op === 'AddTagsToResource' && armed && failed < tagFailures) {
          failed++;
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
          res.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
          return;
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'connection' && k !== 'content-length') headers[k] = v;
        fetch(`${endpoint}${req.url ?? '/'}`, { method: req.method ?? 'POST', headers, body })
          .then(async (r) => {
            res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/x-amz-json-1.1' });
            res.end(Buffer.from(await r.arrayBuffer()));
          })
          .catch(() => res.destroy());
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, failed: () => failed, close: () => server.close() };
  }

  /** What another fleet (or a person) does to the parameter: its own token, its own owner tag. */
  const takeOver = async (parameter: string) => {
    const { ssm, client } = await sdk();
    await client.send(new ssm.PutParameterCommand({ Name: parameter, Value: `glrt-${CANARY}otherfleet`, Type: 'SecureString', Overwrite: true }));
    await client.send(new ssm.AddTagsToResourceCommand({ ResourceType: 'Parameter', ResourceId: parameter, Tags: [{ Key: 'runner-fleet:owner', Value: 'other/docker' }, { Key: 'runner-fleet:runner-id', Value: '4242' }] }));
  };

  const guarded = (name: string, fn: () => Promise<void>) =>
    it(name, async (ctx) => {
      if (skip) {
        report(`SKIPPED: SSM owner tag against moto_server: ${skip}`);
        ctx.skip();
        return;
      }
      await fn();
    }, 90_000);

  guarded('register writes the token with runner-fleet:owner and the runner id as tags, and reads them back', async () => {
    const { h, parameter } = await fleet();
    const r = await h.run('register', { runner: 'docker', approve: true });
    expect(r.code, r.out + r.err).toBe(0);
    const mine = [...h.double.runners.values()].find((x) => parseMarker(x.description)?.runner === 'docker')!;
    expect(await value(parameter)).toBe(mine.token);
    const t = await tags(parameter);
    expect(t['runner-fleet:owner']).toBe('acme/docker');
    expect(t['runner-fleet:runner-id']).toBe(String(mine.id));
    expect(t['runner-fleet:token-state']).toBe('valid');
    // Read back through the store: the same owner, and nothing left to do.
    const again = await h.run('register', { runner: 'docker', json: true });
    expect(again.code).toBe(0);
    expect((JSON.parse(again.out) as Report).plan).toEqual([]);
    expect(r.out + r.err + again.out).not.toContain(mine.token);
    report('ran: SSM owner tag against moto_server (register writes and reads runner-fleet:owner)');
  });

  guarded('a parameter another owner holds is a conflict: planned, refused with --approve, the parameter untouched', async () => {
    const { h, parameter } = await fleet();
    await takeOver(parameter);
    const r = await h.run('register', { runner: 'docker', approve: true, json: true });
    expect(r.code).toBe(1);
    const rep = JSON.parse(r.out) as Report;
    expect(rep.plan!.map((s) => s.action)).toEqual(['conflict']);
    expect(rep.plan![0]!.detail).toContain(`SSM parameter ${parameter} (${REGION}) holds the token of other/docker (runner #4242), not acme/docker`);
    expect(rep.results).toEqual([expect.objectContaining({ action: 'conflict', outcome: 'failed' })]);
    expect(await value(parameter)).toBe(`glrt-${CANARY}otherfleet`);
    expect((await tags(parameter))['runner-fleet:owner']).toBe('other/docker');
    expect(r.out + r.err).not.toContain(CANARY);
  });

  guarded('a parameter taken between the plan and the write is not written', async () => {
    let parameter = '';
    // Read 1 is the plan's; before read 2 (right before POST /user/runners) another owner takes it.
    const made = await fleet(async (n) => {
      if (n === 2) await takeOver(parameter);
    });
    parameter = made.parameter;
    const r = await made.h.run('register', { runner: 'docker', approve: true, json: true });
    expect(r.code).toBe(1);
    const rep = JSON.parse(r.out) as Report;
    expect(rep.plan!.map((s) => s.action)).toEqual(['create']);
    expect(rep.results).toEqual([expect.objectContaining({ action: 'conflict', outcome: 'failed' })]);
    expect(rep.results![0]!.detail).toContain('now holds the token of other/docker (runner #4242), not acme/docker');
    expect(await value(parameter)).toBe(`glrt-${CANARY}otherfleet`);
    expect((await tags(parameter))['runner-fleet:owner']).toBe('other/docker');
    expect([...made.h.double.runners.values()].filter((x) => parseMarker(x.description)?.runner === 'docker')).toEqual([]);
    expect(r.out + r.err).not.toContain(CANARY);
  });

  guarded('status reads the owner tag and names another owner\'s parameter as drift', async () => {
    const { h, parameter } = await fleet();
    expect((await h.run('register', { approve: true })).code).toBe(0);
    expect((await h.run('status', {})).code).toBe(0);
    await takeOver(parameter);
    const r = await h.run('status', { json: true });
    expect(r.code).toBe(1);
    const docker = (JSON.parse(r.out) as Report).runners!.find((x) => x.name === 'docker')!;
    expect(docker.store).toMatchObject({ state: 'other-owner', owner: 'other/docker' });
    expect(docker.store!.detail).toContain(`SSM parameter ${parameter}`);
    expect(r.out + r.err).not.toContain(CANARY);
  });
  guarded('a tag call that fails after PutParameter leaves the token marked as this runner\'s, pending: the next register repairs it, never a conflict', async () => {
    const proxy = await tagsFailAfterPut(2);
    try {
      const { h, parameter } = await fleet(undefined, { via: proxy.url, maxAttempts: 1 });
      const first = await h.run('register', { runner: 'docker', approve: true, json: true });
      expect(proxy.failed()).toBe(2);
      expect(first.code).toBe(1);
      expect((JSON.parse(first.out) as Report).results![0]!.detail).toContain('holds its new token without all runner-fleet writes beside it (its runner id, its owner, the state valid)');
      // What the parameter holds now: the new token, its owner and runner id beside it, marked pending.
      const t = await tags(parameter);
      expect(t['runner-fleet:owner']).toBe('acme/docker');
      expect(t['runner-fleet:token-state']).toBe('pending');
      const st = JSON.parse((await h.run('status', { json: true })).out) as Report;
      expect(st.runners!.find((x) => x.name === 'docker')!.store!.state).toBe('pending');
      const rotate = JSON.parse((await h.run('rotate', { runner: 'docker', json: true })).out) as Report;
      expect(rotate.plan!.map((s) => s.action)).toEqual(['repair-token']);
      const again = await h.run('register', { runner: 'docker', approve: true, json: true });
      expect(again.code, again.out + again.err).toBe(0);
      expect((JSON.parse(again.out) as Report).plan!.map((s) => s.action)).toEqual(['repair-token']);
      const mine = [...h.double.runners.values()].filter((x) => parseMarker(x.description)?.runner === 'docker');
      expect(mine).toHaveLength(1);
      expect(await value(parameter)).toBe(mine[0]!.token);
      // The repair's reset is stored restart-owed; since stop 57 the restart done is the label on that
      // version (LabelParameterVersion, here against moto_server), not the tag: status reads it ok below.
      expect(await tags(parameter)).toMatchObject({ 'runner-fleet:owner': 'acme/docker', 'runner-fleet:runner-id': String(mine[0]!.id), 'runner-fleet:token-state': 'restart-owed' });
      const ok = await h.run('status', { json: true });
      expect((JSON.parse(ok.out) as Report).runners!.find((x) => x.name === 'docker')!.store!.state).toBe('ok');
      expect(first.out + first.err + again.out + again.err + ok.out).not.toContain(CANARY);
    } finally {
      proxy.close();
    }
  });

  guarded('a parameter not created yet is created with its tags in one PutParameter: no tag call can fail after the value', async () => {
    const proxy = await tagsFailAfterPut(2);
    try {
      const { h, parameter } = await fleet(undefined, { via: proxy.url, maxAttempts: 1, absent: true });
      const r = await h.run('register', { runner: 'docker', approve: true });
      expect(r.code, r.out + r.err).toBe(0);
      expect(proxy.failed()).toBe(0);
      const mine = [...h.double.runners.values()].find((x) => parseMarker(x.description)?.runner === 'docker')!;
      expect(await value(parameter)).toBe(mine.token);
      expect(await tags(parameter)).toMatchObject({ 'runner-fleet:owner': 'acme/docker', 'runner-fleet:runner-id': String(mine.id), 'runner-fleet:token-state': 'valid' });
      const { ssm, client } = await sdk();
      const described = await client.send(new ssm.GetParameterCommand({ Name: parameter }));
      expect(described.Parameter!.Type).toBe('SecureString');
      const st = JSON.parse((await h.run('status', { json: true })).out) as Report;
      expect(st.runners!.find((x) => x.name === 'docker')!.store!.state).toBe('ok');
      expect(r.out + r.err).not.toContain(CANARY);
    } finally {
      proxy.close();
    }
  });
});
