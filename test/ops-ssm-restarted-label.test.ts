import { beforeEach, describe, expect, it } from 'vitest';
import { LABEL_WRITE_REFUSED, SsmParameterStore } from '../src/live/ssm.js';
import type { StoredToken } from '../src/ops/ports.js';
import { TOKEN_PLACEHOLDER } from '../src/platforms/aws-vm/common.js';
import { CANARY } from './helpers/ops-world.js';
import { useSsmDouble, type SsmCall } from './helpers/ssm-double.js';

/**
 * Stop 57 (57e item 3): clearing `restart-owed` on an SSM parameter is conditioned on the version.
 * Stop 56 cleared it with one AddTagsToResource of the state tag; tags are not versioned and the
 * call has no condition, so a run that wrote a new token (a rotate: state `restart-owed`), or a
 * `pending` mark before a reset, between the engine's read and that call had its state overwritten
 * with `valid`: the new token's manager restart, or the pending reset's repair, was lost. Now the
 * store labels the version that holds the token it was given (LabelParameterVersion of the version
 * a GetParameter just answered with that value), and read() takes a `restart-owed` tag on the
 * labelled version for `valid`; a later version is never marked. The second writer is interleaved
 * by holding the first run's call in the SSM double (over HTTP, the real SDK) until it has written.
 * Stop 62: an identity that may not label answers with LABEL_WRITE_REFUSED beside the mark (a
 * MarkOutcome), so the run tells the user to regenerate the rotator role.
 */

const PARAMETER = '/runner-fleet/acme/docker/runner-token';
const STATE = 'runner-fleet:token-state';
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const ref = { region: 'eu-central-1', parameter: PARAMETER, autoScalingGroup: 'acme-docker-manager' };
const T1 = `glrt-${CANARY}one`;
const T2 = `glrt-${CANARY}two`;
const owed = (token: string): StoredToken => ({ token, runnerId: 7, expiresAt: null, state: 'restart-owed', owner: 'acme/docker' });

const ssm = useSsmDouble();
beforeEach(() => {
  ssm.double.parameters.clear();
  ssm.double.parameters.set(PARAMETER, { value: TOKEN_PLACEHOLDER, version: 1, tags: new Map() });
  ssm.double.before = undefined;
  ssm.double.refuse.clear();
});

const store = () => new SsmParameterStore(ref, { endpoint: ssm.endpoint, credentials, maxAttempts: 1 });

/** Runs `second` once, before the first call of markRestarted that `at` picks is answered. */
function interleave(at: (c: SsmCall) => boolean, second: () => Promise<void>): void {
  let done = false;
  ssm.double.before = async (c) => {
    if (done || !at(c)) return;
    done = true;
    await second();
  };
}

/** The first call that clears the mark: the label (since stop 57) or the state tag (stop 56). */
const clearing = (c: SsmCall) => c.op === 'LabelParameterVersion' || (c.op === 'AddTagsToResource' && (c.input.Tags as { Key: string; Value: string }[]).some((t) => t.Key === STATE && t.Value === 'valid'));

describe('markRestarted on SSM: the restart is marked on the version read, never on a later one', () => {
  it('no other writer: the token reads valid; a new token written after it reads restart-owed again', async () => {
    const a = store();
    await a.write(owed(T1));
    const held = (await a.read())!;
    expect(held.state).toBe('restart-owed');
    await a.markRestarted({ ...held, state: 'valid' });
    expect(await a.read()).toEqual({ ...owed(T1), state: 'valid' });
    await a.write(owed(T2));
    expect((await a.read())!.state).toBe('restart-owed');
  });

  it('a rotate stores a new token (restart-owed) between the read and the mark: it stays restart-owed', async () => {
    const a = store();
    const b = store();
    await a.write(owed(T1));
    const held = (await a.read())!;
    interleave(clearing, () => b.write(owed(T2)));
    await a.markRestarted({ ...held, state: 'valid' });
    // Before: { token: T2, state: 'valid' } — the tag overwrote the rotate's state, and T2's manager restart was never done.
    expect(await a.read()).toEqual(owed(T2));
  });

  it('a new token stored before the mark reads the parameter: nothing is marked', async () => {
    const a = store();
    const b = store();
    await a.write(owed(T1));
    const held = (await a.read())!;
    let first = true;
    interleave(() => (first ? !(first = false) : false), () => b.write(owed(T2)));
    const from = ssm.double.calls.length;
    await a.markRestarted({ ...held, state: 'valid' });
    expect(await a.read()).toEqual(owed(T2));
    expect(ssm.double.calls.slice(from).filter((c) => c.op === 'LabelParameterVersion' || (c.op === 'AddTagsToResource' && JSON.stringify(c.input).includes('"valid"')))).toEqual([]);
  });

  it('a pending mark written between the read and the mark (a reset about to happen) stays pending', async () => {
    const a = store();
    await a.write(owed(T1));
    const held = (await a.read())!;
    // What a reset writes first: the state tag pending (the run may stop right after it).
    interleave(clearing, () => {
      ssm.double.parameters.get(PARAMETER)!.tags.set(STATE, 'pending');
      return Promise.resolve();
    });
    await a.markRestarted({ ...held, state: 'valid' });
    // Before: valid — the pending mark lost, and a reset that stopped before storing its token was never repaired.
    expect((await a.read())!.state).toBe('pending');
  });

  it('100 versions with the label on the oldest: the write moves the label to the latest and succeeds, restart-owed', async () => {
    const a = store();
    await a.write(owed(T1));
    await a.markRestarted({ ...(await a.read())!, state: 'valid' });
    const p = ssm.double.parameters.get(PARAMETER)!;
    const labelled = p.labels!.get('runner-fleet-restarted')!;
    p.version = labelled + 99;
    await a.write(owed(T2));
    expect(p.version).toBe(labelled + 100);
    expect(await a.read()).toEqual(owed(T2));
  });

});

/**
 * Stop 61: the state tag an identity that may not label writes instead (markByTag) is no longer
 * written unchecked. It reads the state tag first and leaves anything but restart-owed; after its
 * write it reads the version again and puts restart-owed back when a token was stored meanwhile.
 */
describe('markRestarted on SSM without ssm:LabelParameterVersion: the state tag, checked on both sides', () => {
  const tagWrite = (value: string) => (c: SsmCall) => c.op === 'AddTagsToResource' && (c.input.Tags as { Key: string; Value: string }[]).some((t) => t.Key === STATE && t.Value === value);
  const versionCheck = (c: SsmCall) => c.op === 'GetParameter' && c.input.WithDecryption !== true;

  it('no other writer: valid, marked (true), one state tag written', async () => {
    const a = store();
    await a.write(owed(T1));
    const held = (await a.read())!;
    ssm.double.refuse.add('LabelParameterVersion');
    const from = ssm.double.calls.length;
    expect(await a.markRestarted({ ...held, state: 'valid' })).toEqual({ marked: true, note: LABEL_WRITE_REFUSED });
    expect(await a.read()).toEqual({ ...owed(T1), state: 'valid' });
    expect(ssm.double.calls.slice(from).filter((c) => c.op === 'AddTagsToResource')).toHaveLength(1);
  });

  it('a rotate stores a new token right after the tag is written: restart-owed goes back, not marked (false)', async () => {
    const a = store();
    const b = store();
    await a.write(owed(T1));
    const held = (await a.read())!;
    ssm.double.refuse.add('LabelParameterVersion');
    // b's whole write lands after a's state tag (its own tag comes last): only the version read again tells a.
    interleave(versionCheck, () => b.write(owed(T2)));
    // Before: true (no second read), so the engine reported T1's restart as done on a store holding T2.
    expect(await a.markRestarted({ ...held, state: 'valid' })).toEqual({ marked: false, note: LABEL_WRITE_REFUSED });
    expect(await a.read()).toEqual(owed(T2));
  });

  it('a rotate stores a new token between the tag read and the tag write: its restart-owed is restored (false)', async () => {
    const a = store();
    const b = store();
    await a.write(owed(T1));
    const held = (await a.read())!;
    ssm.double.refuse.add('LabelParameterVersion');
    interleave(tagWrite('valid'), () => b.write(owed(T2)));
    expect(await a.markRestarted({ ...held, state: 'valid' })).toEqual({ marked: false, note: LABEL_WRITE_REFUSED });
    // Before: { token: T2, state: 'valid' } — the unchecked tag overwrote the rotate's state.
    expect(await a.read()).toEqual(owed(T2));
  });

  it('a pending mark (a reset about to happen) already there when the tag is read stays pending (false)', async () => {
    const a = store();
    await a.write(owed(T1));
    const held = (await a.read())!;
    ssm.double.refuse.add('LabelParameterVersion');
    interleave((c) => c.op === 'ListTagsForResource', () => {
      ssm.double.parameters.get(PARAMETER)!.tags.set(STATE, 'pending');
      return Promise.resolve();
    });
    expect(await a.markRestarted({ ...held, state: 'valid' })).toEqual({ marked: false, note: LABEL_WRITE_REFUSED });
    // Before: valid — the pending mark lost, and the reset it announced never repaired.
    expect((await a.read())!.state).toBe('pending');
  });

  it('another run marked it valid already: true, and nothing written', async () => {
    const a = store();
    await a.write(owed(T1));
    const held = (await a.read())!;
    ssm.double.refuse.add('LabelParameterVersion');
    ssm.double.parameters.get(PARAMETER)!.tags.set(STATE, 'valid');
    const from = ssm.double.calls.length;
    expect(await a.markRestarted({ ...held, state: 'valid' })).toEqual({ marked: true, note: LABEL_WRITE_REFUSED });
    expect(ssm.double.calls.slice(from).filter((c) => c.op === 'AddTagsToResource')).toEqual([]);
  });

  it('no token in any request to SSM but the value written and read', () => {
    const text = JSON.stringify(ssm.double.calls.filter((c) => c.op !== 'PutParameter'));
    expect(text).not.toContain(CANARY);
  });
});
