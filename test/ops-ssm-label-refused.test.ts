import { describe, expect, it } from 'vitest';
import { LABEL_WRITE_REFUSED, SsmParameterStore } from '../src/live/ssm.js';
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

/** A fleet whose docker runner is registered (its token in the SSM double), then marked restart-owed as a rotate leaves it. */
async function owedAfterRegister(): Promise<Harness> {
  reset();
  const h = harness(writeSpec(opsSpec()));
  const memory = h.world.store!;
  const docker = store();
  h.world.store = (d: DesiredRunner, o) => (d.name === 'docker' ? docker : memory(d, o));
  const r = await h.run('register', { runner: 'docker', approve: true });
  expect(r.code, r.out + r.err).toBe(0);
  ssm.double.parameters.get(PARAMETER)!.tags.set(STATE, 'restart-owed');
  return h;
}

describe('status and register with the label read refused', () => {
  async function world(): Promise<Harness> {
    const h = await owedAfterRegister();
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

/**
 * Stop 62: an identity that may not *write* the label (a rotator role generated before stop 57,
 * without ssm:LabelParameterVersion) marks the restart with the state tag instead (markByTag), which
 * leaves a window the label closes. The run now says so beside "manager restarted", with the fix
 * (regenerate the rotator role); a role that may label hears nothing of it.
 */
describe('register with the label write refused: the restart is marked, and the run says to regenerate the role', () => {
  async function owedWorld(refuseLabel: boolean): Promise<Harness> {
    const h = await owedAfterRegister();
    ssm.double.parameters.get(PARAMETER)!.labels?.clear();
    if (refuseLabel) ssm.double.refuseWhen = (c) => c.op === 'LabelParameterVersion';
    return h;
  }

  it('refused: manager restarted, the store marked valid by its tag, the note said once with its fix', async () => {
    const h = await owedWorld(true);
    const r = await h.run('register', { runner: 'docker', approve: true });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/restart-manager docker #\d+: .*; manager restarted; this identity may not label parameter versions/);
    expect(r.out.split(LABEL_WRITE_REFUSED).length - 1).toBe(1);
    expect(LABEL_WRITE_REFUSED).toMatch(/Regenerate the rotator role \(runner-fleet synth, then terraform apply\)/);
    expect(ssm.double.parameters.get(PARAMETER)!.tags.get(STATE)).toBe('valid');
    expect(h.output.join('')).not.toContain(CANARY);
  });

  it('refused, JSON: the note is in the step detail', async () => {
    const h = await owedWorld(true);
    const r = await h.run('register', { runner: 'docker', approve: true, json: true });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain('may not label parameter versions');
  });

  it('allowed: the version is labelled, and the run says nothing about the role', async () => {
    const h = await owedWorld(false);
    const r = await h.run('register', { runner: 'docker', approve: true });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/restart-manager docker #\d+: .*; manager restarted\n/);
    expect(r.out).not.toContain('may not label');
  });
});
