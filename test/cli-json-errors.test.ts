import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import { ROOT } from './helpers/fleet.js';
import { harness, opsSpec, writeSpec } from './helpers/ops-world.js';

/**
 * `--json` (plan, synth, the operations) and `--format json` (doctor) print one JSON document on
 * stdout on every exit — a wrong command or spec (exit 2) too — while stderr keeps the text.
 */
const committed = JSON.parse(readFileSync(join(ROOT, 'schema', 'ops-report.schema.json'), 'utf8')) as Record<string, unknown>;
const validOpsReport = new Ajv2020({ strict: false }).compile(committed);
const SPEC = join(ROOT, 'examples', 'eks-irsa.yaml');
const tmp = mkdtempSync(join(tmpdir(), 'rf-json-errors-'));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

/** Exactly one JSON document on stdout. */
function oneJson(out: string): Record<string, any> {
  expect(out.trim()).not.toBe('');
  return JSON.parse(out) as Record<string, any>;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('operations --json on exit 2', () => {
  it('no GitLab access token: the report says why, with failedAt "input", valid against the committed schema', async () => {
    vi.stubEnv('RUNNER_FLEET_GITLAB_TOKEN', '');
    vi.stubEnv('GITLAB_TOKEN', '');
    for (const command of ['status', 'register', 'unregister']) {
      const r = await run(command, SPEC, '--json', ...(command === 'unregister' ? ['--runner', 'build'] : []));
      expect(r.code).toBe(2);
      const report = oneJson(r.out);
      expect(validOpsReport(report), JSON.stringify(validOpsReport.errors)).toBe(true);
      expect(report).toMatchObject({ command, fleet: 'acme', failedAt: 'input', exitCode: 2, apiCalls: 0 });
      expect(report.error).toContain('RUNNER_FLEET_GITLAB_TOKEN');
      expect(report.plan).toBeUndefined();
      expect(r.err).toContain('RUNNER_FLEET_GITLAB_TOKEN');
    }
  });

  it('a spec that does not exist: its findings (code, path, message, fix) as plan --json gives them', async () => {
    vi.stubEnv('RUNNER_FLEET_GITLAB_TOKEN', 'glpat-not-used-0123456789');
    const r = await run('status', join(tmp, 'missing.yaml'), '--json');
    expect(r.code).toBe(2);
    const report = oneJson(r.out);
    expect(validOpsReport(report), JSON.stringify(validOpsReport.errors)).toBe(true);
    expect(report.fleet).toBeUndefined();
    expect(report.findings.length).toBeGreaterThan(0);
    expect(report.findings[0]).toMatchObject({ code: expect.stringMatching(/^RF\d{3}$/), severity: 'error', message: expect.any(String) });
    const plan = oneJson((await run('plan', join(tmp, 'missing.yaml'), '--json')).out);
    expect(report.findings).toEqual(plan.findings);
    expect(r.out + r.err).not.toContain('glpat-not-used');
  });

  it('a --ca-file that holds no certificate, a bad --kube-api, a bad duration', async () => {
    vi.stubEnv('RUNNER_FLEET_GITLAB_TOKEN', 'glpat-not-used-0123456789');
    const notPem = join(tmp, 'not.pem');
    writeFileSync(notPem, 'hello\n');
    for (const [argv, says] of [
      [['status', SPEC, '--ca-file', notPem, '--json'], '--ca-file'],
      [['register', SPEC, '--kube-api', 'nowhere', '--json'], '--kube-api'],
      [['rotate', SPEC, '--if-expiring-within', 'soon', '--json'], '--if-expiring-within'],
    ] as const) {
      const r = await run(...argv);
      expect(r.code).toBe(2);
      const report = oneJson(r.out);
      expect(validOpsReport(report), JSON.stringify(validOpsReport.errors)).toBe(true);
      expect(report).toMatchObject({ command: argv[0], failedAt: 'input', exitCode: 2 });
      expect(report.error).toContain(says);
      expect(r.err).toContain(says);
    }
  });

  it('a command line Commander refuses (a missing option value) is a JSON report too', async () => {
    const r = await run('status', SPEC, '--json', '--ca-file');
    expect(r.code).toBe(2);
    const report = oneJson(r.out);
    expect(validOpsReport(report), JSON.stringify(validOpsReport.errors)).toBe(true);
    expect(report.error).toContain('--ca-file');
  });
});

describe('doctor --format json on exit 2', () => {
  it('a path that does not exist', async () => {
    const r = await run('doctor', '--format', 'json', join(tmp, 'nowhere'));
    expect(r.code).toBe(2);
    const report = oneJson(r.out);
    expect(report).toMatchObject({ exitCode: 2, files: [], findings: [], proofs: [] });
    expect(report.error).toContain('nowhere');
    expect(r.err).toContain('nowhere');
  });

  it('--region without --aws', async () => {
    const r = await run('doctor', '--format=json', '--region', 'eu-west-1', join(ROOT, 'examples'));
    expect(r.code).toBe(2);
    expect(oneJson(r.out).error).toContain('--aws');
  });

  it('doctor --json hints --format json; plan and the operations --format hint --json', async () => {
    const d = await run('doctor', '--json', join(tmp, 'nowhere'));
    expect(d.code).toBe(2);
    expect(d.err).toContain('--format json');
    expect(oneJson(d.out)).toMatchObject({ exitCode: 2, error: expect.stringContaining('--json') });
    for (const command of ['plan', 'status']) {
      const p = await run(command, SPEC, '--format', 'json');
      expect(p.code).toBe(2);
      expect(p.err).toContain(`${command} takes --json`);
    }
  });
});

describe('a single-valued option given twice is exit 2 naming it and both values', () => {
  it('synth --out a --out b writes nothing', async () => {
    const a = join(tmp, 'out-a');
    const b = join(tmp, 'out-b');
    const r = await run('synth', SPEC, '--out', a, '--out', b);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--out was given twice');
    expect(r.err).toContain(JSON.stringify(a));
    expect(r.err).toContain(JSON.stringify(b));
    expect(existsSync(a) || existsSync(b)).toBe(false);
  });

  it.each([
    [['status', SPEC, '--runner', 'build', '--runner', 'other'], '--runner'],
    [['doctor', '--format', 'json', '--format', 'sarif', '.'], '--format'],
    [['register', SPEC, '--kube-api', 'devops=http://127.0.0.1:1', '--kube-api', 'devops=http://127.0.0.1:2', '--runner', 'x', '--runner', 'y'], '--runner'],
  ])('%j', async (argv, option) => {
    vi.stubEnv('RUNNER_FLEET_GITLAB_TOKEN', '');
    vi.stubEnv('GITLAB_TOKEN', '');
    const r = await run(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${option} was given twice`);
  });
});

describe('status says what GitLab listed', () => {
  it('an empty GitLab: 0 runners listed, not the number of spec entries', async () => {
    const h = harness(writeSpec(opsSpec()));
    const r = await h.run('status', {});
    expect(r.code).toBe(1);
    expect(r.err).toContain('GitLab listed 0 runners in 4 scopes, 0 with the marker of fleet acme, for 4 spec entries; reading details of 0 registered runners');
    expect(r.err).not.toMatch(/read \d+ runner entries/);
  });
});

describe('an internal error (exit 70) with --json', () => {
  it('is one JSON report with exitCode 70 and the error, never a token', async () => {
    const h = harness(writeSpec(opsSpec()));
    h.world.store = (d) => ({
      label: `broken store of ${d.name}`,
      read: () => Promise.reject(new TypeError('store bug')),
      write: () => Promise.reject(new TypeError('store bug')),
      clear: () => Promise.reject(new TypeError('store bug')),
      restartManager: () => Promise.reject(new TypeError('store bug')),
      markRestarted: () => Promise.reject(new TypeError('store bug')),
    });
    const r = await h.run('rotate', { json: true });
    expect(r.code).toBe(70);
    const report = oneJson(r.out);
    expect(validOpsReport(report), JSON.stringify(validOpsReport.errors)).toBe(true);
    expect(report).toMatchObject({ command: 'rotate', exitCode: 70, error: 'internal error: store bug', failedAt: 'read' });
    expect(report.plan).toBeUndefined();
    expect(r.err).toContain('internal error: store bug');
  });
});
