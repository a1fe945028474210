import { describe, expect, it } from 'vitest';
// The platforms' modules import each other: load them through the registry, as the CLI does.
import '../src/platforms/registry.js';
import { profileBody } from '../src/platforms/ec2-autoscaler/index.js';
import { instanceProfileArn } from '../src/platforms/ec2-autoscaler/profile.js';
import type { TerraformRoot } from '../src/emit/artifacts.js';
import { seeded } from './helpers/rng.js';

/** The unindexed lookup: a reference by its key, a literal ARN by a scan of the root's profiles for the first of its name. */
function scanned(root: TerraformRoot, profile: string, account?: string): Record<string, unknown> | undefined {
  const k = /^\$\{aws_iam_instance_profile\.([^.}]+)\.(?:name|arn)\}$/.exec(profile)?.[1];
  if (k !== undefined) return root.resource.aws_iam_instance_profile?.[k];
  const arn = instanceProfileArn(profile);
  if (arn === undefined || (arn.account !== undefined && account !== undefined && arn.account !== account)) return undefined;
  return Object.values(root.resource.aws_iam_instance_profile ?? {}).find((b) => b.name === arn.name);
}

describe('profileBody: a literal instance profile ARN found by name through an index', () => {
  it('equals the scan of the root on 300 seeded roots, 20 profiles asked of each', () => {
    const rnd = seeded(0x53a2);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
    const names = ['workers', 'manager', 'ci-1', 'ci-2', 'a.b', 'x+y'];
    const accounts = ['111122223333', '444455556666'];
    for (let r = 0; r < 300; r++) {
      const profiles: Record<string, Record<string, unknown>> = {};
      const count = Math.floor(rnd() * 8);
      for (let i = 0; i < count; i++) {
        const body: Record<string, unknown> = { role: `\${aws_iam_role.r${i}.name}` };
        if (rnd() < 0.85) body.name = pick([...names, '${var.profile}']);
        profiles[`p${i}`] = body;
      }
      const root = (rnd() < 0.1 ? { resource: {} } : { resource: { aws_iam_instance_profile: profiles } }) as unknown as TerraformRoot;
      for (let q = 0; q < 20; q++) {
        const name = pick(names);
        const asked = pick([
          `arn:aws:iam::${pick(accounts)}:instance-profile/${name}`,
          `arn:aws:iam::${pick(accounts)}:instance-profile/path/to/${name}`,
          `arn:aws:iam:::instance-profile/${name}`,
          `\${aws_iam_instance_profile.p${Math.floor(rnd() * 8)}.name}`,
          name,
        ]);
        const account = rnd() < 0.5 ? pick(accounts) : undefined;
        expect(profileBody(root, asked, account)).toBe(scanned(root, asked, account));
      }
    }
  });

  it('reads the root\'s profiles once, however many runners ask', () => {
    let enumerations = 0;
    const profiles = new Proxy(
      Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`p${i}`, { name: `profile-${i}` }])),
      { ownKeys: (t) => (enumerations++, Reflect.ownKeys(t)) },
    );
    const root = { resource: { aws_iam_instance_profile: profiles } } as unknown as TerraformRoot;
    for (let i = 0; i < 100; i++) expect(profileBody(root, `arn:aws:iam::111122223333:instance-profile/profile-${i % 50}`)).toEqual({ name: `profile-${i % 50}` });
    expect(enumerations).toBe(1);
  });
});
