import { describe, expect, it } from 'vitest';
import type { TerraformRoot } from '../src/emit/artifacts.js';
import { mapRootStrings } from '../src/doctor/root-strings.js';
import { rekey } from '../src/doctor/vm.js';
import type { Evidence } from '../src/doctor/evidence.js';

/**
 * The one walk over every string of a Terraform root (a renamed resource's references, the account
 * stand-in): copy on write where the root's bodies are shared with the evidence, in place otherwise.
 */
const up = (s: string) => (s.startsWith('x') ? s.toUpperCase() : s);

function sample() {
  const kept = { a: 'keep', list: ['keep', 1, null] };
  const body = { name: 'x-name', kept, tags: ['x-tag', 'keep'], nested: { deep: [{ v: 'x-deep' }] }, n: 3 };
  const data = { role: 'x-data' };
  const root: TerraformRoot = { terraform: {}, resource: { aws_thing: { one: body } }, data: { aws_data: { d: data } } };
  return { root, body, kept, data };
}

describe('mapRootStrings', () => {
  it('copy on write: the bodies it was given are untouched, unchanged parts are shared, data sources left out unless asked', () => {
    const { root, body, kept, data } = sample();
    const before = structuredClone(body);
    mapRootStrings(root, up, { copyOnWrite: true });
    const out = root.resource.aws_thing!.one!;
    expect(out).not.toBe(body);
    expect(body).toEqual(before);
    expect(out).toEqual({ name: 'X-NAME', kept, tags: ['X-TAG', 'keep'], nested: { deep: [{ v: 'X-DEEP' }] }, n: 3 });
    expect(out.kept).toBe(kept);
    expect(root.data!.aws_data!.d).toBe(data);
    expect(data.role).toBe('x-data');
  });

  it('copy on write: a body without a changed string stays the same object', () => {
    const { root, body } = sample();
    mapRootStrings(root, (s) => s, { copyOnWrite: true });
    expect(root.resource.aws_thing!.one).toBe(body);
  });

  it('in place: the same objects hold the new strings, data sources too when asked', () => {
    const { root, body, data } = sample();
    const tags = body.tags;
    mapRootStrings(root, up, { copyOnWrite: false, data: true });
    expect(root.resource.aws_thing!.one).toBe(body);
    expect(body.name).toBe('X-NAME');
    expect(body.tags).toBe(tags);
    expect(tags).toEqual(['X-TAG', 'keep']);
    expect(body.nested.deep[0]!.v).toBe('X-DEEP');
    expect(root.data!.aws_data!.d).toBe(data);
    expect(data.role).toBe('X-DATA');
  });

  it('a key named __proto__ is an own key, in either mode (never the prototype)', () => {
    for (const copyOnWrite of [true, false]) {
      const body = JSON.parse('{"__proto__": {"v": "x-proto"}}') as Record<string, unknown>;
      const root: TerraformRoot = { terraform: {}, resource: { aws_thing: { one: body } } };
      mapRootStrings(root, up, { copyOnWrite });
      const out = root.resource.aws_thing!.one!;
      expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ v: 'X-PROTO' });
    }
  });
});

describe('rekey: references follow a renamed resource, copy on write', () => {
  it('the body the evidence holds keeps the user\'s reference; the root\'s body names the new key', () => {
    // normalizeTerraform copies the maps by type, not the bodies: the evidence and the root share them.
    const rule = { security_group_id: '${aws_security_group.workers.id}', cidr: ['10.0.0.0/8'] };
    const evidence = { aws_security_group: { workers: { name: 'w' } }, aws_vpc_security_group_ingress_rule: { ssh: rule } };
    const root: TerraformRoot = { terraform: {}, resource: { aws_security_group: { ...evidence.aws_security_group }, aws_vpc_security_group_ingress_rule: { ...evidence.aws_vpc_security_group_ingress_rule } } };
    const ev = { terraform: { origins: new Map() } } as unknown as Evidence;
    rekey(root, ev, 'aws_security_group', 'workers', 'runner_workers');
    expect(root.resource.aws_vpc_security_group_ingress_rule!.ssh).toEqual({ security_group_id: '${aws_security_group.runner_workers.id}', cidr: ['10.0.0.0/8'] });
    expect(rule.security_group_id).toBe('${aws_security_group.workers.id}');
    expect(root.resource.aws_vpc_security_group_ingress_rule!.ssh!.cidr).toBe(rule.cidr);
    expect(Object.keys(root.resource.aws_security_group!)).toEqual(['runner_workers']);
    expect(Object.keys(evidence.aws_security_group)).toEqual(['workers']);
  });
});
