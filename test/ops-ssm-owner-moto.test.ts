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

  /** The fleet with its VM runner `docker` on a real SSM parameter in moto (created by "Terraform" with the placeholder); `onRead` runs before each read of it. */
  /** The fleet with its VM runner `docker` on a real SSM parameter in moto (created by "Terraform" with the placeholder); `onRead` runs before each read of it. */
  async function fleet(onRead: (reads: number) => Promise<void> = () => Promise.resolve()): Promise<{ h: Harness; parameter: string }> {
    await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
    const h = harness(writeSpec(opsSpec()));
    let reads = 0;
    const memory = h.world.store!;
    let docker: TokenStore | undefined;
    h.world.store = (d: DesiredRunner, o) => {
      if (d.name !== 'docker' || d.store.kind !== 'ssm-parameter') return memory(d, o);
      if (!docker) {
        const real = new SsmParameterStore(d.store, { endpoint, credentials });
        docker = {
          label: real.label,
          read: async () => {
            await onRead(++reads);
            return real.read();
          },
          write: (v) => real.write(v),
          clear: () => real.clear(),
          restartManager: () => real.restartManager(),
        };
      }
      return docker;
    };
    // The parameter the spec resolves for runner docker of fleet acme, as Terraform creates it.
    const parameter = '/runner-fleet/acme/docker/runner-token';
    const { ssm, client } = await sdk();
    await client.send(new ssm.PutParameterCommand({ Name: parameter, Value: TOKEN_PLACEHOLDER, Type: 'SecureString' }));
    return { h, parameter };
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
});
