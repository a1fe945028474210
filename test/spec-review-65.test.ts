import { describe, expect, it } from 'vitest';
import { planValue } from '../src/core.js';
import { exampleValue, minimalFleet } from './helpers/fleet.js';

/**
 * Spec values a new user's review (65e, stop 65) showed to pass plan and fail at apply or match
 * nothing: resource ARNs IAM refuses or that name nothing, and Fargate task sizes ECS refuses.
 */
const findings = (spec: Record<string, any>) => {
  const plan = planValue(spec);
  return { plan, at: (path: string) => plan.findings.filter((f) => f.path === path) };
};

describe('jobs.permissions.aws resources', () => {
  const withResources = (resources: string[]) => {
    const s = minimalFleet();
    s.runners[0].jobs = { ...(s.runners[0].jobs ?? {}), permissions: { aws: [{ actions: ['s3:GetObject'], resources }] } };
    return s;
  };
  const PATH = 'runners[0].jobs.permissions.aws[0].resources[0]';
  it.each([
    ['an ARN of five parts (a colon missing): IAM refuses the policy', 'arn:aws:s3::other-account-artifacts', 'not an ARN of six parts'],
    ['an S3 bucket ARN with region and account: it names nothing', 'arn:aws:s3:eu-west-1:444455556666:bucket/*', 'names nothing'],
    ['an S3 object ARN with an account only', 'arn:aws:s3::444455556666:artifacts/*', 'names nothing'],
    ['an account of 11 digits', 'arn:aws:iam::12345678901:role/deploy', '12-digit'],
  ])('%s: exit 2 at the resource', (_name, arn, says) => {
    const { plan, at } = findings(withResources([arn]));
    expect(plan.exitCode).toBe(2);
    const hit = at(PATH);
    // Refinements of the schema are RF002 (not one of the allowed values), with what is allowed and the fix.
    expect(hit.map((f) => f.code)).toEqual(['RF002']);
    expect(`${hit[0]!.message} ${hit[0]!.allowed ?? ''}`).toContain(says);
    expect(hit[0]!.fix).not.toBe('see the spec reference');
  });
  it('ARNs of every documented shape pass: S3 bucket and object, access point, IAM managed policy, log group with colons, wildcards in region and account (none touches the cache bucket: RF203 would say so)', () => {
    const ok = ['arn:aws:s3:::artifacts', 'arn:aws:s3:::artifacts/*', 'arn:aws:s3:eu-west-1:123456789012:accesspoint/ap-1', 'arn:aws:s3:eu-west-1:123456789012:job/*', 'arn:aws:iam::aws:policy/ReadOnlyAccess', 'arn:aws:logs:eu-west-1:123456789012:log-group:/ci/app:*', 'arn:aws:dynamodb:*:*:table/locks', 'arn:aws:s3:eu-west-1:123456789012:accesspoint/*', 'arn:aws:iam::*:role/deploy'];
    const { plan } = findings(withResources(ok));
    expect(plan.findings.filter((f) => f.path.startsWith('runners[0].jobs.permissions')).map((f) => `${f.code} ${f.path} ${f.message}`)).toEqual([]);
    expect(plan.exitCode).not.toBe(2);
  });
});

describe('Fargate task size', () => {
  const fargate = (cpu: unknown, memoryMiB: unknown) => {
    const s = exampleValue('ecs-fargate');
    Object.assign(s.runners[0].fargate, { cpu, memoryMiB });
    return s;
  };
  it.each([
    [4096, 1024, 'with cpu 4096: 8192 to 30720 in steps of 1024', '(256 or 512)'],
    [512, 1500, 'with cpu 512: 1024, 2048, 3072, 4096', 'none: 1500 MiB is no Fargate size'],
    [256, 4096, 'with cpu 256: 512, 1024, 2048', '(512 or 1024 or 2048)'],
  ])('cpu %i with %i MiB: RF702 at memoryMiB, naming the sizes that cpu takes', (cpu, memory, allowed, fix) => {
    const { plan, at } = findings(fargate(cpu, memory));
    expect(plan.exitCode).toBe(2);
    const hit = at('runners[0].fargate.memoryMiB');
    expect(hit.map((f) => f.code)).toEqual(['RF702']);
    expect(hit[0]!.allowed).toBe(allowed);
    expect(hit[0]!.fix).toContain(fix);
  });
  it.each([
    [256, 512],
    [512, 4096],
    [1024, 2048],
    [2048, 16_384],
    [4096, 30_720],
  ])('cpu %i with %i MiB is a Fargate size: no finding', (cpu, memory) => {
    const { plan } = findings(fargate(cpu, memory));
    // The example's all-zero driver checksum is RF703 (a warning, stop 66): not about the size.
    expect(plan.findings.filter((f) => f.path.startsWith('runners[0].fargate') && f.path !== 'runners[0].fargate.driver.sha256').map((f) => f.code)).toEqual([]);
    expect(plan.exitCode).toBe(0);
  });
  it('a cpu that is no Fargate value is RF002 naming the values (before: "Invalid input", no values)', () => {
    const { plan, at } = findings(fargate(1000, 2048));
    expect(plan.exitCode).toBe(2);
    const hit = at('runners[0].fargate.cpu');
    expect(hit.map((f) => f.code)).toEqual(['RF002']);
    expect(`${hit[0]!.message} ${hit[0]!.allowed ?? ''}`).toMatch(/256.*512.*1024.*2048.*4096/);
  });
});

describe('runner tags', () => {
  const tagged = (tags: string[]) => {
    const s = minimalFleet();
    s.runners[0].gitlab.tags = tags;
    return planValue(s);
  };
  it.each([['a,b'], [' eks'], ['eks ']])('%j is RF002: GitLab splits tags at commas and strips their ends', (tag) => {
    const plan = tagged(['k8s', tag]);
    expect(plan.exitCode).toBe(2);
    expect(plan.findings.filter((f) => f.path === 'runners[0].gitlab.tags[1]').map((f) => f.code)).toEqual(['RF002']);
  });
  it('a tag with an inner space or other punctuation is kept as written', () => {
    const plan = tagged(['eks build', 'gpu:a10', 'x86_64']);
    expect(plan.findings.filter((f) => f.path.startsWith('runners[0].gitlab.tags')).map((f) => f.code)).toEqual([]);
  });
});
