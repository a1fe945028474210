import { describe, expect, it } from 'vitest';
import { markerText } from '../src/ops/marker.js';
import { harness, opsSpec, writeSpec } from './helpers/ops-world.js';

/**
 * Every duration option of the operations commands (drain --timeout, rotate --wait and
 * --if-expiring-within): a whole number and a unit s, m, h or d, within the option's range, or
 * exit 2 before any call to GitLab, naming the value, the range and an example. Before: `5`,
 * `1.5h` and `5w` were "not a duration such as 3h" with no range, and `999999999h` or `99999d`
 * were accepted (a drain that waits for 114,000 years).
 */
const file = writeSpec(opsSpec());

describe('duration options: the form and the range, exit 2 before any call', () => {
  it.each([
    ['--timeout', 'drain', { runner: 'k8s', timeout: '999999999h' }, /^runner-fleet drain: --timeout "999999999h" is longer than 30d, the most it may be \(no GitLab job runs longer: a project's maximum job timeout is under a month\): give a whole number and a unit, s, m, h or d \(seconds, minutes, hours, days\), from 0s to 30d; for example --timeout 3h\n$/],
    ['--timeout', 'drain', { runner: 'k8s', timeout: '31d' }, /--timeout "31d" is longer than 30d/],
    ['--timeout', 'drain', { runner: 'k8s', timeout: `${'9'.repeat(400)}s` }, /--timeout "9{40}…" is longer than 30d/],
    ['--timeout', 'drain', { runner: 'k8s', timeout: '1e30s' }, /--timeout "1e30s" is not a whole number with a unit: give/],
    ['--timeout', 'drain', { runner: 'k8s', timeout: '0' }, /--timeout "0" has no unit: give a whole number and a unit, s, m, h or d/],
    ['--timeout', 'drain', { runner: 'k8s', timeout: '5' }, /--timeout "5" has no unit/],
    ['--timeout', 'drain', { runner: 'k8s', timeout: '-1m' }, /--timeout "-1m" is negative/],
    ['--timeout', 'drain', { runner: 'k8s', timeout: 'NaN' }, /--timeout "NaN" is not a whole number with a unit/],
    ['--timeout', 'drain', { runner: 'k8s', timeout: '1.5h' }, /--timeout "1\.5h" is not a whole number with a unit/],
    ['--timeout', 'drain', { runner: 'k8s', timeout: '5ms' }, /--timeout "5ms" has a unit runner-fleet does not know \("ms"\)/],
    ['--timeout', 'drain', { runner: 'k8s', timeout: '2w' }, /--timeout "2w" has a unit runner-fleet does not know \("w"\)/],
    ['--timeout', 'drain', { runner: 'k8s', timeout: '' }, /--timeout "" is empty/],
    ['--wait', 'rotate', { wait: '25h' }, /--wait "25h" is longer than 24h, the most it may be .*for example --wait 5m/],
    ['--wait', 'rotate', { wait: '5min' }, /--wait "5min" has a unit runner-fleet does not know \("min"\)/],
    ['--if-expiring-within', 'rotate', { ifExpiringWithin: '3651d' }, /--if-expiring-within "3651d" is longer than 3650d/],
    ['--if-expiring-within', 'rotate', { ifExpiringWithin: '7' }, /--if-expiring-within "7" has no unit.*for example --if-expiring-within 7d/],
  ] as const)('%s of %s: %j', async (_name, command, opts, message) => {
    const h = harness(file);
    const r = await h.run(command, { approve: true, ...opts });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(h.double.requests).toBe(0);
  });

  it('--json: the wrong value is the report\'s error, failedAt input', async () => {
    const h = harness(file);
    const r = await h.run('drain', { runner: 'k8s', timeout: '5', json: true });
    expect(r.code).toBe(2);
    expect(JSON.parse(r.out)).toMatchObject({ command: 'drain', failedAt: 'input', exitCode: 2, error: expect.stringMatching(/--timeout "5" has no unit/) });
  });

  it.each([['30d'], ['0s'], ['90s']])('twin: drain --timeout %s is within the range and drains', async (timeout) => {
    const h = harness(file);
    await h.run('register', { approve: true });
    const k8s = [...h.double.runners.values()].find((r) => r.description.endsWith(markerText('acme', 'k8s')))!;
    const r = await h.run('drain', { approve: true, runner: 'k8s', timeout });
    expect(r.err).not.toMatch(/--timeout/);
    expect(r.code).toBe(0);
    expect(k8s.paused).toBe(true);
  });

  it.each([[{ wait: '24h' }], [{ wait: '0s' }], [{ ifExpiringWithin: '3650d' }]])('twin: rotate %j is within the range', async (opts) => {
    const h = harness(file);
    await h.run('register', { approve: true });
    const r = await h.run('rotate', opts);
    expect(r.err).not.toMatch(/--wait|--if-expiring-within/);
    expect(r.code).toBe(0);
  });
});
