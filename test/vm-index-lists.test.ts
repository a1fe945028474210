import { describe, expect, it } from 'vitest';
// The platforms' modules import each other: load them through the registry, as the CLI does.
import '../src/platforms/registry.js';
import { pushUnder, vmRoleOfSubject } from '../src/platforms/aws-vm/common.js';
import type { FleetDocuments } from '../src/emit/types.js';
import type { IdentitySubject } from '../src/model/types.js';
import { seeded } from './helpers/rng.js';

/** The shape the indexes had: a new list per value added, the old one copied into it. */
function copiedPerAdd<K, V>(pairs: readonly (readonly [K, V])[]): Map<K, V[]> {
  const map = new Map<K, V[]>();
  for (const [k, v] of pairs) map.set(k, [...(map.get(k) ?? []), v]);
  return map;
}

describe('pushUnder: the lists of the VM indexes grown in place', () => {
  it('gives the lists the copy per add gave, in the same order, on 300 seeded streams', () => {
    const rnd = seeded(0x54a1);
    let shared = 0;
    for (let n = 0; n < 300; n++) {
      const keys = 1 + Math.floor(rnd() * 6);
      const pairs = Array.from({ length: Math.floor(rnd() * 40) }, (_, i) => [`k${Math.floor(rnd() * keys)}`, rnd() < 0.2 ? undefined : `v${i % 7}`] as const);
      const map = new Map<string, (string | undefined)[]>();
      for (const [k, v] of pairs) pushUnder(map, k, v);
      const old = copiedPerAdd(pairs);
      expect([...map.keys()]).toEqual([...old.keys()]);
      for (const [k, list] of old) expect(map.get(k)).toEqual(list);
      for (const list of map.values()) if (list.length > 1) shared++;
    }
    expect(shared, 'the streams put several values under one key, or the comparison shows nothing').toBeGreaterThan(300);
  });
});

/** The role a subject's compute carries, by a scan of every instance profile and task definition (the index's oracle). */
function scannedRole(resource: Record<string, Record<string, Record<string, unknown>>>, subject: { attachment: string; name: string }): string | undefined {
  const roleOf = (v: unknown): string | undefined => {
    if (typeof v !== 'string') return undefined;
    const ref = /^\$\{aws_iam_role\.([A-Za-z0-9_-]+)\.(?:name|arn)\}$/.exec(v);
    if (ref) return resource.aws_iam_role?.[ref[1]!] === undefined ? undefined : String(resource.aws_iam_role[ref[1]!]!.name);
    return v.split('/').pop();
  };
  const carried = [
    ...Object.values(resource.aws_iam_instance_profile ?? {}).map((b) => ({ attachment: 'instance-profile', name: String(b.name), role: roleOf(b.role) })),
    ...Object.values(resource.aws_ecs_task_definition ?? {}).map((b) => ({ attachment: 'task-definition', name: String(b.family), role: b.task_role_arn === undefined ? undefined : roleOf(b.task_role_arn) })),
  ].filter((c) => c.attachment === subject.attachment && c.name === subject.name);
  return carried.length === 1 ? carried[0]!.role : undefined;
}

describe('vmRoleOfSubject: the attachment index with many compute of one name', () => {
  it('answers what a scan of the root answers on 300 seeded roots', () => {
    const rnd = seeded(0x54a2);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
    let known = 0;
    for (let n = 0; n < 300; n++) {
      const pool = Array.from({ length: 1 + Math.floor(rnd() * 5) }, (_, i) => `n${i}`);
      const roleKeys = Array.from({ length: 1 + Math.floor(rnd() * 4) }, (_, i) => `r${i}`);
      const role = () => (rnd() < 0.7 ? `\${aws_iam_role.${pick([...roleKeys, 'gone'])}.${pick(['name', 'arn'])}}` : `arn:aws:iam::111122223333:role/${pick(['x', 'y'])}`);
      const resource: Record<string, Record<string, Record<string, unknown>>> = {
        aws_iam_role: Object.fromEntries(roleKeys.map((k) => [k, { name: `role-${k}`, assume_role_policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] }) }])),
        aws_iam_instance_profile: {},
        aws_ecs_task_definition: {},
      };
      for (let i = Math.floor(rnd() * 12); i > 0; i--) resource.aws_iam_instance_profile![`p${i}`] = { name: pick(pool), role: role() };
      for (let i = Math.floor(rnd() * 12); i > 0; i--) resource.aws_ecs_task_definition![`t${i}`] = { family: pick(pool), ...(rnd() < 0.8 ? { task_role_arn: role() } : {}) };
      const docs = { artifacts: [], runners: new Map(), terraformAws: { resource } } as unknown as FleetDocuments;
      for (const attachment of ['instance-profile', 'task-definition']) {
        for (const name of [...pool, 'none']) {
          const subject = { kind: 'aws-service', service: 'x', attachment, name, cluster: 'c', account: '111122223333' } as unknown as IdentitySubject;
          const want = scannedRole(resource, { attachment, name });
          expect(vmRoleOfSubject(docs, subject), `${attachment} ${name}`).toBe(want);
          if (want !== undefined) known++;
        }
      }
    }
    expect(known, 'the roots give subjects one role, or the comparison shows nothing').toBeGreaterThan(150);
  });
});
