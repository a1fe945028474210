import { describe, expect, it } from 'vitest';
import type { K8sObject } from '../src/emit/artifacts.js';
import type { Located } from '../src/doctor/evidence.js';
import type { Origin } from '../src/doctor/source.js';
import { kubernetesOwners, type OwnerChain } from '../src/doctor/kubernetes-owners.js';
import { randomInt as random } from './helpers/rng.js';

/**
 * Kubernetes ownership (src/doctor/kubernetes-owners.ts) is decided through an index of folder paths
 * (stop 50); before, it compared each copied object with every chain of its namespace and kept every
 * pair of chains told apart, which over many folders sharing one namespace grew with their square.
 * The reference below is that pairwise algorithm, kept as it was: over seeded random layouts the
 * index gives every answer it gave.
 */

const CLUSTER_WIDE = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);
const namespaceOf = (o: K8sObject): string | undefined => o.metadata.namespace ?? (o.kind === 'Namespace' ? o.metadata.name : undefined);
const sharedFolders = (a: string, b: string): number => {
  const fa = a.split(/[\\/]/).slice(0, -1);
  const fb = b.split(/[\\/]/).slice(0, -1);
  let i = 0;
  while (i < fa.length && i < fb.length && fa[i] === fb[i]) i++;
  return i;
};

/** The pairwise ownership of stop 49 (src/doctor/infer.ts then), the reference. */
function pairwiseOwners<C extends OwnerChain>(objects: readonly Located<K8sObject>[], chains: readonly C[]) {
  const key = (o: K8sObject): string => `${o.kind}\u0000${CLUSTER_WIDE.has(o.kind) ? '' : (o.metadata.namespace ?? 'default')}\u0000${o.metadata.name}`;
  const count = new Map<string, number>();
  for (const o of objects) count.set(key(o.value), (count.get(key(o.value)) ?? 0) + 1);
  const candidatesOf = (o: Located<K8sObject>): readonly C[] => {
    const ns = CLUSTER_WIDE.has(o.value.kind) ? namespaceOf(o.value) : (o.value.metadata.namespace ?? 'default');
    return ns === undefined ? chains : chains.filter((c) => c.namespace === ns || c.jobNamespace === ns);
  };
  const nearest = (o: Located<K8sObject>, candidates: readonly C[]): Set<C> => {
    const depth = candidates.map((c) => sharedFolders(o.origin.source.path, c.origin.source.path));
    const best = Math.max(...depth);
    return new Set(candidates.filter((_, i) => depth[i] === best));
  };
  const copies = new Map<Located<K8sObject>, { candidates: readonly C[]; owners: Set<C> }>();
  for (const o of objects) {
    if (count.get(key(o.value))! < 2) continue;
    const candidates = candidatesOf(o);
    copies.set(o, { candidates, owners: nearest(o, candidates) });
  }
  const telling = [...copies].filter(([o]) => o.value.kind !== 'Namespace');
  const index = new Map(chains.map((c, i) => [c, i]));
  const partners = chains.map(() => new Set<number>());
  const splits = new Set<string>();
  for (const [, c] of telling) {
    const inside = c.candidates.filter((x) => c.owners.has(x)).map((x) => index.get(x)!);
    const outside = c.candidates.filter((x) => !c.owners.has(x)).map((x) => index.get(x)!);
    if (inside.length === 0 || outside.length === 0) continue;
    const split = `${inside.join(',')}|${outside.join(',')}`;
    if (splits.has(split)) continue;
    splits.add(split);
    for (const i of inside) for (const j of outside) {
      partners[i]!.add(j);
      partners[j]!.add(i);
    }
  }
  const owners = new Map<Located<K8sObject>, Set<C>>();
  for (const [o, c] of copies) owners.set(o, c.owners);
  if (copies.size > 0 && partners.some((p) => p.size > 0)) {
    const anyApart = new Map<string, boolean>();
    for (const o of objects) {
      if (owners.has(o)) continue;
      const ns = CLUSTER_WIDE.has(o.value.kind) ? namespaceOf(o.value) : (o.value.metadata.namespace ?? 'default');
      const key = ns === undefined ? '' : `=${ns}`;
      let split = anyApart.get(key);
      if (split === undefined) {
        const candidates = new Set(candidatesOf(o).map((x) => index.get(x)!));
        split = [...candidates].some((i) => [...partners[i]!].some((j) => candidates.has(j)));
        anyApart.set(key, split);
      }
      if (split) owners.set(o, nearest(o, candidatesOf(o)));
    }
  }
  return {
    has: (chain: C, o: Located<K8sObject>) => owners.get(o)?.has(chain) ?? true,
    apart: (a: C, b: C) => partners[index.get(a)!]!.has(index.get(b)!),
    together: (a: Located<K8sObject>, b: Located<K8sObject>) => chains.length === 0 || chains.some((c) => (owners.get(a)?.has(c) ?? true) && (owners.get(b)?.has(c) ?? true)),
    ownCopy: (a: C, b: C) => {
      const own = telling.filter(([, c]) => c.candidates.includes(b) && c.owners.has(a) && !c.owners.has(b)).map(([o]) => o);
      return own.find((o) => o.value.kind === 'ServiceAccount' && o.value.metadata.name === a.managerSa) ?? own[0];
    },
  };
}

const origin = (path: string): Origin => ({ source: { path }, doc: 0, path: [] }) as unknown as Origin;

interface Layout {
  chains: OwnerChain[];
  objects: Located<K8sObject>[];
}

/** Folders nested up to three deep, some sharing a parent; chains (several to a folder, some with jobs in another namespace) and objects placed among them. */
function layout(seed: number): Layout {
  const r = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[r(xs.length)]!;
  const namespaces = ['gitlab-runner', 'runners', 'ci-jobs', 'default'].slice(0, 1 + r(4));
  const tops = ['prod', 'staging', 'dev', 'eu', 'us'].slice(0, 1 + r(5));
  const dirs = ['', ...tops, ...tops.flatMap((t) => ['a', 'b'].slice(0, r(3)).map((x) => `${t}/${x}`))];
  const deeper = dirs.filter((d) => d.split('/').length === 2 && r(2) === 0).map((d) => `${d}/k8s`);
  const all = [...dirs, ...deeper];
  const file = (d: string, name: string) => (d === '' ? name : `${d}/${name}`);
  const chains: OwnerChain[] = Array.from({ length: 1 + r(8) }, (_, i) => {
    const namespace = pick(namespaces);
    return { namespace, jobNamespace: r(4) === 0 ? pick(namespaces) : namespace, managerSa: pick(['gitlab-runner', 'runner', 'default']), origin: { source: { path: file(pick(all), pick(['values.yaml', `values-${i}.yaml`])) } } };
  });
  const kinds = ['ServiceAccount', 'Role', 'RoleBinding', 'ConfigMap', 'Secret', 'ClusterRole', 'ClusterRoleBinding', 'Namespace'];
  const objects: Located<K8sObject>[] = Array.from({ length: r(30) }, () => {
    const kind = pick(kinds);
    const name = kind === 'Namespace' ? pick(namespaces) : pick(['gitlab-runner', 'runner', 'default', 'jobs']);
    // A namespaced object that names none is in `default`; a ClusterRole may (wrongly) name one.
    const ns = kind === 'Namespace' ? undefined : CLUSTER_WIDE.has(kind) ? (r(6) === 0 ? pick(namespaces) : undefined) : r(5) === 0 ? undefined : pick(namespaces);
    const value = { apiVersion: 'v1', kind, metadata: { name, ...(ns !== undefined ? { namespace: ns } : {}) } } as K8sObject;
    return { value, origin: origin(file(pick(all), pick(['k8s.yaml', 'rbac.yaml']))) };
  });
  return { chains, objects };
}

function compare({ chains, objects }: Layout): number {
  const ref = pairwiseOwners(objects, chains);
  const got = kubernetesOwners(objects, chains);
  let asked = 0;
  for (const c of chains) {
    for (const o of objects) expect(got.has(c, o), `has ${c.origin.source.path} ${o.value.kind} ${o.origin.source.path}`).toBe(ref.has(c, o));
    expect(got.of(objects, c)).toEqual(objects.filter((o) => ref.has(c, o)));
    for (const d of chains) {
      expect(got.apart(c, d), `apart ${c.origin.source.path} ${d.origin.source.path}`).toBe(ref.apart(c, d));
      expect(got.ownCopy(c, d)).toBe(ref.ownCopy(c, d));
      asked++;
    }
  }
  for (const a of objects) for (const b of objects) expect(got.together(a, b)).toBe(ref.together(a, b));
  return asked;
}

describe('kubernetesOwners: the index gives the answers of the pairwise reference', () => {
  it('two deployments side by side reusing every name: each owns its own copies, and they are apart', () => {
    const prod: OwnerChain = { namespace: 'gitlab-runner', jobNamespace: 'gitlab-runner', managerSa: 'gitlab-runner', origin: { source: { path: 'prod/values.yaml' } } };
    const staging: OwnerChain = { ...prod, origin: { source: { path: 'staging/values.yaml' } } };
    const sa = (dir: string): Located<K8sObject> => ({ value: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'gitlab-runner', namespace: 'gitlab-runner' } }, origin: origin(`${dir}/k8s.yaml`) });
    const binding: Located<K8sObject> = { value: { apiVersion: 'v1', kind: 'RoleBinding', metadata: { name: 'extra', namespace: 'gitlab-runner' } }, origin: origin('prod/rbac.yaml') };
    const objects = [sa('prod'), sa('staging'), binding];
    const owners = kubernetesOwners(objects, [prod, staging]);
    expect([owners.has(prod, objects[0]!), owners.has(staging, objects[0]!), owners.has(staging, objects[1]!)]).toEqual([true, false, true]);
    expect(owners.apart(prod, staging)).toBe(true);
    // The RoleBinding only prod gives is not staging's.
    expect([owners.has(prod, binding), owners.has(staging, binding)]).toEqual([true, false]);
    expect(owners.ownCopy(prod, staging)).toBe(objects[0]);
    expect(owners.of(objects, staging)).toEqual([objects[1]]);
    expect(owners.together(objects[0]!, binding)).toBe(true);
    expect(owners.together(objects[1]!, binding)).toBe(false);
    expect(compare({ chains: [prod, staging], objects })).toBe(4);
  });

  it('a Namespace in both folders does not tell them apart: every object is both chains\'', () => {
    const a: OwnerChain = { namespace: 'gitlab-runner', jobNamespace: 'gitlab-runner', managerSa: 'gitlab-runner', origin: { source: { path: 'a/values.yaml' } } };
    const b: OwnerChain = { ...a, origin: { source: { path: 'b/values.yaml' } } };
    const ns = (dir: string): Located<K8sObject> => ({ value: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gitlab-runner' } }, origin: origin(`${dir}/ns.yaml`) });
    const role: Located<K8sObject> = { value: { apiVersion: 'v1', kind: 'Role', metadata: { name: 'r', namespace: 'gitlab-runner' } }, origin: origin('a/rbac.yaml') };
    const objects = [ns('a'), ns('b'), role];
    const owners = kubernetesOwners(objects, [a, b]);
    expect(owners.apart(a, b)).toBe(false);
    expect([owners.has(b, role), owners.has(b, objects[0]!), owners.has(a, objects[1]!)]).toEqual([true, false, false]);
    compare({ chains: [a, b], objects });
  });

  it('over 400 seeded random layouts (nested folders, several chains to a folder, cluster-wide objects, jobs in another namespace)', () => {
    let asked = 0;
    let apart = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const l = layout(20265000 + seed);
      asked += compare(l);
      const ref = pairwiseOwners(l.objects, l.chains);
      apart += l.chains.filter((c) => l.chains.some((d) => ref.apart(c, d))).length;
    }
    // The layouts ask something: many chain pairs, and chains told apart in many of them.
    expect(asked).toBeGreaterThan(4000);
    expect(apart).toBeGreaterThan(200);
  });

  it('with no chain, every object is of one deployment', () => {
    const o: Located<K8sObject> = { value: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 's', namespace: 'n' } }, origin: origin('x/k8s.yaml') };
    const owners = kubernetesOwners([o, { ...o, origin: origin('y/k8s.yaml') }], []);
    expect(owners.together(o, o)).toBe(true);
  });
});

describe('kubernetesOwners: the lookups of stop 52 answer as the questions they replace', () => {
  it('togetherIn is the filter of `together`, and cellKey tells two chains of one namespace apart as `apart` does (400 seeded layouts)', () => {
    let lists = 0;
    let keyed = 0;
    let apartByKey = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const { chains, objects } = layout(20265200 + seed);
      const got = kubernetesOwners(objects, chains);
      // The whole list and a part of it (the ServiceAccounts, as azure-rules.ts asks of them), each asked twice (the index is kept per list).
      const accounts = objects.filter((o) => o.value.kind === 'ServiceAccount');
      for (const list of [objects, accounts, objects, accounts]) for (const o of objects) {
        expect(got.togetherIn(list, o)).toEqual(list.filter((x) => got.together(o, x)));
        lists++;
      }
      for (const c of chains) for (const d of chains) {
        if (c.namespace !== d.namespace || d.jobNamespace !== d.namespace) continue;
        expect(got.cellKey(c) !== got.cellKey(d), `cellKey ${c.origin.source.path} ${d.origin.source.path}`).toBe(got.apart(c, d));
        keyed++;
        if (got.apart(c, d)) apartByKey++;
      }
    }
    expect(lists).toBeGreaterThan(10000);
    expect(keyed).toBeGreaterThan(2000);
    expect(apartByKey).toBeGreaterThan(100);
  });

  it('with no chain, togetherIn gives the whole list', () => {
    const o: Located<K8sObject> = { value: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 's', namespace: 'n' } }, origin: origin('x/k8s.yaml') };
    const list = [o, { ...o, origin: origin('y/k8s.yaml') }];
    expect(kubernetesOwners(list, []).togetherIn(list, o)).toEqual(list);
  });
});
