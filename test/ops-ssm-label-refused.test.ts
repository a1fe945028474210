import { describe, expect, it } from 'vitest';
import { SsmParameterStore } from '../src/live/ssm.js';
import type { DesiredRunner } from '../src/ops/desired.js';
import type { StoredToken } from '../src/ops/ports.js';
import { TOKEN_PLACEHOLDER } from '../src/platforms/aws-vm/common.js';
import { CANARY, harness, opsSpec, writeSpec, type Harness } from './helpers/ops-world.js';
import { useSsmDouble, type SsmCall } from './helpers/ssm-double.js';

/**
 * Stop 58 (58e item 2): an identity refused GetParameter of `<name>:runner-fleet-restarted` (the
 * label stop 57 puts on the version whose manager restarted). Before, read() threw `cannot read
 * the label of …`, so the whole store read as unreadable (status: `unreadable`; register: no
 * plan for it) although the token and its tags were read. Now no label is known: the state stays
 * `restart-owed` (a restart is redone, the safe direction), and why is said once, in the status's
 * store detail and in the plan's restart-manager step. The SSM double refuses just that request
 * (`refuseWhen`), in AWS's error shape (400, `__type` AccessDeniedException).
 */

const PARAMETER = '/runner-fleet/acme/docker/runner-token';
const STATE = 'runner-fleet:token-state';
const RESTARTED = 'runner-fleet-restarted';
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const NOTE = `this identity may not read the label ${RESTARTED}, which marks the version whose manager restarted (AccessDeniedException on GetParameter of <name>:${RESTARTED}), so restart-owed is taken as it stands and a restart done since is redone: allow it ssm:GetParameter on the parameter, with its label selector`;
const ssm = useSsmDouble();
const labelRead = (c: SsmCall) => c.op === 'GetParameter' && c.input.Name === `${PARAMETER}:${RESTARTED}`;
const owed = (token: string): StoredToken => ({ token, runnerId: 7, expiresAt: null, state: 'restart-owed', owner: 'acme/docker' });
const T1 = `glrt-${CANARY}one`;

function reset(): void {
  const { double } = ssm;
  double.parameters.clear();
  double.parameters.set(PARAMETER, { value: TOKEN_PLACEHOLDER, version: 1, tags: new Map() });
  double.refuseWhen = undefined;
  double.before = undefined;
}

const store = () => new SsmParameterStore({ region: 'eu-central-1', parameter: PARAMETER, autoScalingGroup: 'acme-docker-manager' }, { endpoint: ssm.endpoint, credentials, maxAttempts: 1 });

describe('SsmParameterStore.read with the label read refused', () => {
  it('restart-owed with the note, not an unreadable store; the token, owner and id are read', async () => {
    reset();
    const a = store();
    await a.write(owed(T1));
    ssm.double.refuseWhen = labelRead;
    // Before: throws "cannot read the label of SSM parameter … (eu-central-1): AccessDeniedException".
    expect(await a.read()).toEqual({ ...owed(T1), stateNote: NOTE });
    expect(ssm.double.calls.filter(labelRead).length).toBeGreaterThan(0);
  });

  it('even when the label is on the version read: no label is known, so restart-owed (the safe direction)', async () => {
    reset();
    const a = store();
    await a.write(owed(T1));
    expect(await a.markRestarted({ ...(await a.read())!, state: 'valid' })).toBe(true);
    expect((await a.read())!.state).toBe('valid');
    ssm.double.refuseWhen = labelRead;
    expect(await a.read()).toEqual({ ...owed(T1), stateNote: NOTE });
  });

  it('a state other than restart-owed reads no label: nothing is refused, no note', async () => {
    reset();
    const a = store();
    await a.write({ ...owed(T1), state: 'valid' });
    ssm.double.refuseWhen = labelRead;
    expect(await a.read()).toEqual({ ...owed(T1), state: 'valid' });
  });

  it('any other refusal of a read still makes the store unreadable, naming the error only', async () => {
    reset();
    const a = store();
    await a.write(owed(T1));
    ssm.double.refuseWhen = (c) => c.op === 'ListTagsForResource';
    await expect(a.read()).rejects.toThrow(/^cannot read the tags of SSM parameter \/runner-fleet\/acme\/docker\/runner-token \(eu-central-1\): AccessDeniedException$/);
  });
});

describe('status and register with the label read refused', () => {
  async function world(): Promise<Harness> {
    reset();
    const h = harness(writeSpec(opsSpec()));
    const memory = h.world.store!;
    const docker = store();
    h.world.store = (d: DesiredRunner, o) => (d.name === 'docker' ? docker : memory(d, o));
    const r = await h.run('register', { runner: 'docker', approve: true });
    expect(r.code, r.out + r.err).toBe(0);
    ssm.double.parameters.get(PARAMETER)!.tags.set(STATE, 'restart-owed');
    ssm.double.refuseWhen = labelRead;
    return h;
  }

  it('status: the store is restart-owed (exit 1), the note said once; before, unreadable', async () => {
    const h = await world();
    const r = await h.run('status', { runner: 'docker', json: true });
    expect(r.code, r.out + r.err).toBe(1);
    const runner = (JSON.parse(r.out) as { runners: { name: string; store?: { state: string; detail: string } }[] }).runners.find((x) => x.name === 'docker')!;
    expect(runner.store!.state).toBe('restart-owed');
    expect(runner.store!.detail.endsWith(`restarts it. Read so because ${NOTE}`)).toBe(true);
    expect(r.out.split(NOTE).length - 1).toBe(1);
    const text = await h.run('status', { runner: 'docker' });
    expect(text.out.split(NOTE).length - 1).toBe(1);
    expect(h.output.join('')).not.toContain(CANARY);
  });

  it('register: the plan restarts the manager, saying why once; the apply restarts and labels the version', async () => {
    const h = await world();
    const plan = await h.run('register', { runner: 'docker', json: true });
    const steps = (JSON.parse(plan.out) as { plan: { action: string; detail: string }[] }).plan;
    expect(steps.map((s) => s.action)).toEqual(['restart-manager']);
    expect(steps[0]!.detail.endsWith(`restart it (read so because ${NOTE})`)).toBe(true);
    const version = ssm.double.parameters.get(PARAMETER)!.version;
    const r = await h.run('register', { runner: 'docker', approve: true });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/restart-manager docker #\d+: .*; manager restarted\n/);
    expect(ssm.double.parameters.get(PARAMETER)!.labels?.get(RESTARTED)).toBe(version);
    expect(h.output.join('')).not.toContain(CANARY);
  });
});
