import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellWord } from '../src/emit/readme/readme.js';
import { main } from '../src/cli/main.js';
import { readAtMost } from '../src/io/read-at-most.js';
import { planValue, synthFiles } from '../src/core.js';
import { exampleText, exampleValue, minimalFleet } from './helpers/fleet.js';

/** One test per crash class seen from outside: each must be exit 0, 1 or 2 with findings, never a throw. */

const run = async (argv: string[]) => {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
};

describe('names that collide with Object.prototype are plain names', () => {
  const names: [string, (s: Record<string, any>) => void][] = [
    ['a runner named constructor', (s) => (s.runners[0].name = 'constructor')],
    ['a cluster named constructor', (s) => {
      s.clusters[0].name = 'constructor';
      for (const r of s.runners) r.placement.cluster = 'constructor';
    }],
    ['a cache named constructor', (s) => {
      s.caches[0].name = 'constructor';
      for (const r of s.runners) if (r.cache) r.cache.name = 'constructor';
    }],
    ['a namespace named constructor', (s) => (s.runners[0].placement.namespace = 'constructor')],
    ['node selector and environment keys __proto__, constructor, toString', (s) => {
      s.runners[0].jobs.nodeSelector = JSON.parse('{"__proto__": "x", "constructor": "y"}');
      s.runners[0].jobs.environment = JSON.parse('{"__proto__": "x", "toString": "y", "hasOwnProperty": "z"}');
    }],
    ['cloud tags __proto__ and valueOf', (s) => ((s.aws ?? s.azure).tags = JSON.parse('{"__proto__": "x", "valueOf": "y"}'))],
  ];
  for (const example of ['eks-irsa', 'aks-workload-identity', 'ec2-docker', 'ecs-fargate']) {
    it.each(names)(`${example}: %s`, (_name, mutate) => {
      const spec = exampleValue(example);
      mutate(spec);
      const plan = planValue(spec);
      expect([0, 1, 2]).toContain(plan.exitCode);
      if (plan.exitCode === 0) expect(synthFiles(plan).length).toBeGreaterThan(0);
    });
  }
});

describe('runners sharing a namespace', () => {
  it.each(['aks-workload-identity', 'eks-irsa'])('%s: two runners in one namespace plan and synth; the namespace is created once', (example) => {
    const spec = exampleValue(example);
    spec.runners[1].placement.namespace = spec.runners[0].placement.namespace;
    const plan = planValue(spec);
    expect(plan.exitCode, JSON.stringify(plan.findings.filter((f) => f.severity === 'error'))).not.toBe(2);
    const files = synthFiles({ ...plan, exitCode: 0 });
    const roots = files.filter((f) => f.path.endsWith('.tf.json')).map((f) => JSON.parse(f.content) as { resource?: Record<string, Record<string, unknown>> });
    const namespaces = roots.flatMap((r) => Object.keys(r.resource?.kubernetes_namespace_v1 ?? {}));
    expect(namespaces.length).toBe(new Set(namespaces).size);
  });
});

describe('IAM conditions: real operators work, everything else is refused at the spec with a path', () => {
  const withConditions = (conditions: unknown) => {
    const spec = minimalFleet();
    spec.runners[0].jobs = { permissions: { aws: [{ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::inputs/*'], conditions }] } };
    return planValue(spec);
  };
  const AT = 'runners[0].jobs.permissions.aws[0].conditions';
  it.each([
    ['DateLessThan', { DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } }],
    ['IpAddress', { IpAddress: { 'aws:SourceIp': ['203.0.113.0/24', '2001:db8::/32'] } }],
    ['NotIpAddress', { NotIpAddress: { 'aws:SourceIp': '10.0.0.0/8' } }],
    ['BinaryEquals', { BinaryEquals: { 'aws:x': 'QmluYXJ5' } }],
    ['Bool as a YAML boolean', { Bool: { 'aws:SecureTransport': true } }],
    ['Numeric as a YAML number', { NumericLessThanEquals: { 's3:max-keys': 10 } }],
    ['ForAnyValue:StringLike', { 'ForAnyValue:StringLike': { 'aws:TagKeys': ['team-*'] } }],
    ['ArnLikeIfExists', { ArnLikeIfExists: { 'aws:SourceArn': 'arn:aws:ecs:*:123456789012:*' } }],
  ])('accepts %s', (_name, conditions) => {
    expect(withConditions(conditions).exitCode).not.toBe(2);
  });
  it.each([
    ['lower-case operator', { stringequals: { 'aws:x': 'a' } }, `${AT}.stringequals`, 'did you mean "StringEquals"'],
    ['unknown operator', { GeoMatch: { 'aws:x': 'a' } }, `${AT}.GeoMatch`, 'operators'],
    ['non-boolean Bool', { Bool: { 'aws:SecureTransport': 'maybe' } }, `${AT}.Bool["aws:SecureTransport"]`, 'true or false'],
    ['non-number under Numeric', { NumericLessThan: { 's3:max-keys': 'ten' } }, `${AT}.NumericLessThan["s3:max-keys"]`, 'number'],
    ['non-ARN under Arn', { ArnLike: { 'aws:SourceArn': ['role/ci'] } }, `${AT}.ArnLike["aws:SourceArn"][0]`, 'ARN'],
    ['non-date under Date', { DateLessThan: { 'aws:CurrentTime': 'tomorrow' } }, `${AT}.DateLessThan["aws:CurrentTime"]`, 'ISO 8601'],
    ['non-address under IpAddress', { IpAddress: { 'aws:SourceIp': '10.0.0/8' } }, `${AT}.IpAddress["aws:SourceIp"]`, 'CIDR'],
    ['empty map', {}, AT, 'empty'],
    ['operator without keys', { StringEquals: {} }, `${AT}.StringEquals`, 'no condition keys'],
    ['empty value list', { StringEquals: { 'aws:x': [] } }, `${AT}.StringEquals["aws:x"]`, 'empty'],
    ['empty key', { StringEquals: { '': 'a' } }, `${AT}.StringEquals[""]`, 'condition key'],
    ['policy variable', { StringLike: { 's3:prefix': '${aws:username}/*' } }, `${AT}.StringLike["s3:prefix"]`, 'policy variables'],
    ['Null with IfExists', { NullIfExists: { 'aws:x': 'true' } }, `${AT}.NullIfExists`, 'Null takes no'],
  ])('refuses %s', (_name, conditions, path, words) => {
    const plan = withConditions(conditions);
    expect(plan.exitCode).toBe(2);
    const hit = plan.findings.find((f) => f.path === path);
    expect(hit, JSON.stringify(plan.findings)).toBeDefined();
    expect(`${hit!.message} ${hit!.fix ?? ''}`).toContain(words);
  });
});

describe('a misspelt key is reported once', () => {
  it.each([
    ['runner name', (s: Record<string, any>) => ((s.runners[0].nmae = s.runners[0].name), delete s.runners[0].name), 'runners[0].nmae', 'name'],
    ['cluster type', (s: Record<string, any>) => ((s.clusters[0].tpye = 'eks'), delete s.clusters[0].type), 'clusters[0].tpye', 'type'],
    ['gitlab url', (s: Record<string, any>) => ((s.gitlab.ulr = s.gitlab.url), delete s.gitlab.url), 'gitlab.ulr', 'url'],
  ])('%s', (_name, mutate, path, key) => {
    const spec = minimalFleet();
    mutate(spec);
    const plan = planValue(spec);
    expect(plan.exitCode).toBe(2);
    expect(plan.findings.map((f) => `${f.code} ${f.path}`)).toEqual([`RF003 ${path}`]);
    expect(plan.findings[0]!.fix).toBe(`did you mean "${key}"?`);
  });
});

describe('findings of one kind are capped with a count', () => {
  it('10,000 unknown keys give a few findings', () => {
    const spec = minimalFleet();
    for (let i = 0; i < 10_000; i++) spec.runners[0].gitlab[`k${i}`] = i;
    const plan = planValue(spec);
    expect(plan.exitCode).toBe(2);
    expect(plan.findings.length).toBeLessThan(60);
    expect(plan.findings.some((f) => /more unknown keys here/.test(f.message))).toBe(true);
  });
});

describe('the command line', () => {
  it('no command is exit 2 with the usage', async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('Usage: runner-fleet');
  });

  const dir = mkdtempSync(join(tmpdir(), 'rf-out-'));
  const spec = join(dir, 'fleet.yaml');
  writeFileSync(spec, exampleText('eks-irsa'));
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  it.each([
    ['an existing file', file],
    ['a path under a file', join(file, 'out')],
    ['a directory under /proc', '/proc/runner-fleet-test/out'],
  ])('synth --out naming %s is exit 2 with RF011, and nothing is written', async (_name, out) => {
    const before = readdirSync(dir).sort();
    const r = await run(['synth', spec, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/RF011 --out .*(is a file|cannot be created|permission denied|cannot create)/);
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  // `plan /dev/zero` read forever (the size limit was checked after reading the whole file).
  it('plan of a file over the limit is RF001 by size', async () => {
    const big = join(dir, 'big.yaml');
    writeFileSync(big, `a: "${'x'.repeat(3 * 1024 * 1024)}"\n`);
    const r = await run(['plan', big]);
    expect(r.code).toBe(2);
    expect(r.out + r.err).toMatch(/RF001 .*big\.yaml is more than 1,048,576 bytes; a spec may have at most 1,048,576 bytes/);
  });

  it('plan of /dev/zero, which never ends, is RF001 by size: read no further than the limit', async (ctx) => {
    if (!existsSync('/dev/zero')) {
      console.log('SKIPPED: /dev/zero: this system has none');
      ctx.skip();
      return;
    }
    const r = await run(['plan', '/dev/zero']);
    expect(r.code).toBe(2);
    expect(r.out + r.err).toMatch(/RF001 \/dev\/zero is more than 1,048,576 bytes/);
  });

  it('synth --azure-outputs /dev/zero is RF610 by size and writes nothing', async (ctx) => {
    if (!existsSync('/dev/zero')) {
      console.log('SKIPPED: /dev/zero: this system has none');
      ctx.skip();
      return;
    }
    const aks = join(dir, 'aks.yaml');
    writeFileSync(aks, exampleText('aks-workload-identity'));
    const out = join(dir, 'aks-out');
    const r = await run(['synth', aks, '--azure-outputs', '/dev/zero', '--out', out]);
    expect(r.code).toBe(2);
    expect(r.out + r.err).toMatch(/RF610 --azure-outputs: cannot read \/dev\/zero: it is more than 16,777,216 bytes/);
    expect(existsSync(out)).toBe(false);
  });

  it('a manifest edited to list paths outside the output folder, the folder itself or a folder: left alone and said, never an internal error', async () => {
    // Before: "internal: output path escapes the output directory" (exit 70) on every later synth into it.
    const out = join(dir, 'manifest-out');
    expect((await run(['synth', spec, '--out', out])).code).toBe(0);
    const outside = join(dir, 'outside.txt');
    writeFileSync(outside, 'keep me');
    mkdirSync(join(out, 'notes'));
    writeFileSync(join(out, 'notes', 'listed.txt'), 'an earlier run wrote this');
    const manifest = join(out, '.runner-fleet-manifest.json');
    writeFileSync(manifest, JSON.stringify({ files: ['../outside.txt', outside, '', '.', 'helm', 5, null, 'notes/listed.txt'] }));
    const r = await run(['synth', spec, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/listed 5 path\(s\) outside the output folder or not files \("\.\.\/outside\.txt", ".*outside\.txt", "", "\.", "helm"\): left alone/);
    expect(r.out).toMatch(/1 removed/);
    expect(existsSync(outside)).toBe(true);
    expect(existsSync(join(out, 'helm'))).toBe(true);
    expect(existsSync(join(out, 'notes', 'listed.txt'))).toBe(false);
    // The new manifest lists what this run wrote, nothing else.
    const files = (JSON.parse(readFileSync(manifest, 'utf8')) as { files: string[] }).files;
    expect(files.some((f) => f.includes('outside') || f === 'helm' || f === '')).toBe(false);
    expect((await run(['synth', spec, '--out', out])).out).not.toMatch(/left alone/);
  });

  // Found by a black-box run: spec values, paths and unknown keys were echoed raw, tokens included.
  it('what any command prints carries no token shape and no raw control or bidi character', async () => {
    const token = 'glpat-abcdefghijklmnopqrst';
    const bad = join(dir, 'token-url.yaml');
    writeFileSync(bad, exampleText('eks-irsa').replace(/url: https:\/\/gitlab\.com/, `url: "https://oauth2:${token}@gitlab.com"`).replace('kind: Fleet', `kind: Fleet\n${token}: 1`));
    expect(readFileSync(bad, 'utf8')).toContain(`oauth2:${token}`);
    const r = await run(['plan', bad]);
    expect(r.code).toBe(2);
    expect(r.out + r.err).not.toContain(token);
    expect(r.out + r.err).toContain('[REDACTED]');
    const out = join(dir, 'x\u001b[31my\u202e');
    const s = await run(['synth', spec, '--out', out]);
    expect(s.code).toBe(0);
    expect(s.out).toContain('x\\u001b[31my\\u202e: 19 written');
    const d = await run(['doctor', join(dir, 'no\u001bfile\u202e')]);
    expect(d.code).toBe(2);
    for (const text of [s.out, s.err, d.out, d.err]) expect(text.includes('\u001b') || text.includes('\u202e')).toBe(false);
  });

  it('a file in the way of an output folder stops synth before anything is written; an empty --out is refused', async () => {
    // Before: 16 of 17 files were written, then RF011 for the 17th.
    const out = join(dir, 'in-the-way');
    mkdirSync(out);
    writeFileSync(join(out, 'terraform'), 'a file of the user');
    const r = await run(['synth', spec, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/RF011 --out .*in-the-way\/terraform is a file, not a directory/);
    expect(readdirSync(out)).toEqual(['terraform']);
    const empty = await run(['synth', spec, '--out', '']);
    expect(empty.code).toBe(2);
    expect(empty.err).toMatch(/RF011 --out is empty/);
  });

  it('doctor --output naming one of the files read is exit 2, and the file stays', async () => {
    const out = join(dir, 'doctor-self');
    expect((await run(['synth', spec, '--out', out])).code).toBe(0);
    const root = join(out, 'terraform', 'aws', 'main.tf.json');
    const before = readFileSync(root, 'utf8');
    const r = await run(['doctor', out, '--output', root, '--format', 'json']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--output .*main\.tf\.json is one of the files read/);
    expect(readFileSync(root, 'utf8')).toBe(before);
  });

  it('readAtMost reads a pipe-like stream to its end, and stops one byte over the limit', () => {
    const small = join(dir, 'small.txt');
    writeFileSync(small, 'abc');
    expect(readAtMost(small, 3)).toEqual({ bytes: Buffer.from('abc'), more: false });
    expect(readAtMost(small, 2)).toEqual({ bytes: Buffer.from('abc'), more: true });
    expect(readAtMost(small, 1)).toEqual({ bytes: Buffer.from('ab'), more: true });
  });
});

describe('cache paths of two runners, one inside the other', () => {
  it('RF202 says to choose paths that do not nest (before: "grant the manager only its own prefix", which a spec cannot do)', () => {
    const spec = exampleValue('eks-irsa');
    spec.runners[0].cache.path = 'build';
    spec.runners[1].cache.path = 'build/deploy';
    const r = planValue(spec);
    const rf202 = r.findings.find((f) => f.code === 'RF202' && f.path === 'runners[0].cache');
    expect(rf202?.fix).toMatch(/another runner's cache path \(build\/deploy\) lies inside build\/.*not inside another's/);
    // Paths that only share a beginning do not nest (a grant on build/ does not cover build-x/): no RF202.
    spec.runners[1].cache.path = 'build-x';
    expect(planValue(spec).findings.map((f) => f.code)).not.toContain('RF202');
  });
});

describe('IAM policy variables in spec resources', () => {
  it('a job resource with ${aws:username} (or %{…}) is RF002 at its path, not an internal error (exit 70 before)', () => {
    for (const resource of ['arn:aws:s3:::b/${aws:username}/*', 'arn:aws:s3:::b/%{if x}y%{endif}']) {
      const spec = exampleValue('eks-irsa');
      spec.runners[0].jobs.permissions.aws.push({ actions: ['s3:GetObject'], resources: [resource] });
      let r: ReturnType<typeof planValue> | undefined;
      expect(() => (r = planValue(spec))).not.toThrow();
      expect(r!.exitCode).toBe(2);
      const f = r!.findings.find((x) => x.path === `runners[0].jobs.permissions.aws[${spec.runners[0].jobs.permissions.aws.length - 1}].resources[0]`);
      expect(f?.message).toMatch(/without policy variables or Terraform expressions/);
    }
  });
});

describe('spec text in the shell commands the output README gives operators', () => {
  it('a description or tag with $(...), backticks, $VAR, quotes or backslashes stays text in the curl command (before: double quotes, so $(...) ran when pasted)', (ctx) => {
    const bash = spawnSync('bash', ['-c', 'exit 0']);
    if (bash.error) {
      console.log('SKIPPED: bash is not on PATH');
      ctx.skip();
      return;
    }
    const spec = exampleValue('ec2-docker');
    const description = "costs $(echo RAN) `echo RAN` $HOME \"q\" it's \\ !x";
    spec.runners[0].description = description;
    spec.runners[0].gitlab.tags = ['a$(echo RAN)', "b'c"];
    const readme = synthFiles(planValue(spec)).find((f) => f.path === 'README.md')!.content;
    const words = readme.split('\n').map((l) => /--data-urlencode (.*) \\$/.exec(l.trim())?.[1]).filter((w): w is string => w !== undefined && /^["']?(description|tag_list)=/.test(w));
    expect(words).toHaveLength(2);
    // What the shell makes of each word, as an operator's paste would: printf its one argument.
    const shell = spawnSync('bash', ['-c', words.map((w) => `printf '%s\\n' ${w}`).join('; ')], { encoding: 'utf8', env: { HOME: '/home/op', PATH: process.env.PATH ?? '' } });
    expect(shell.stdout).toBe(`description=${description}\ntag_list=a$(echo RAN),b'c\n`);
    // A spec text with nothing special keeps the double quotes of the other fields (goldens unchanged).
    expect(shellWord('description=acme/build (runner-fleet)')).toBe('"description=acme/build (runner-fleet)"');
  });
});
