import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { runnersOfCluster } from '../src/verify/kubernetes-chain.js';
import { kubernetesOnly } from '../src/platforms/aks/verify.js';
import { aksPlatform } from '../src/platforms/aks/index.js';
import { fleetSubjectIndex, fleetSubjects } from '../src/verify/index.js';
import { azureDeployments } from '../src/doctor/azure.js';
import type { FleetDocuments } from '../src/emit/types.js';
import type { FleetIntent, IntentRunner } from '../src/verify/intent.js';
import type { KubernetesSubject, ResolvedCluster } from '../src/model/types.js';
import { corpusFiles } from './helpers/doctor.js';
import { randomInt as random } from './helpers/rng.js';
import { countWork } from './helpers/work-count.js';

/**
 * The doctor over many AKS deployments given together, each in its own folder (bench/doctor-folders.js,
 * case aks-az-cli): what grew faster than the folders (stop 50) was the fleet's Kubernetes subjects
 * built again for each runner's own Azure view of the documents (each time every cluster's runners
 * scanned), the artifacts mapped by path and the identities by key per view, each Azure deployment's
 * files picked by a test of every file per deployment, the clusters found by name per runner, and
 * every Kubernetes object read per runner for a tenant annotation or a SecretProviderClass.
 */

const one = corpusFiles(fileURLToPath(new URL('./doctor/corpus/aks-az-cli', import.meta.url)));
const dec = new TextDecoder();
const enc = new TextEncoder();
/** Folder n names its resources apart (`gitlab-` → `gitlab-<n>-`, `ci` → `ci-<n>`) and its GUIDs end in n, as the bench does. */
const perFolder = (text: string, n: number) =>
  text
    .replace(/gitlab-/g, (m) => `${m}${n}-`)
    .replace(/(?<![\w.-])ci(?=[-/]|"(?!\s*:))/g, `ci-${n}`)
    .replace(/\b([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-)[0-9a-f]{12}\b/g, (_, head: string) => `${head}${String(n).padStart(12, '0')}`);
const folders = (n: number): InputFile[] => Array.from({ length: n }, (_, i) => one.map((f) => ({ path: `deployment-${i + 1}/${f.path}`, bytes: enc.encode(perFolder(dec.decode(f.bytes), i + 1)) }))).flat();

describe('the doctor over N folders of one AKS deployment', () => {
  it('finds in each folder what it finds alone', () => {
    const alone = doctor(folders(1)).findings.map((x) => `${x.code} ${x.path}`);
    const three = doctor(folders(3)).findings.map((x) => `${x.code} ${x.path}`);
    // RF208 (a storage account not created here) is said once, at the first folder.
    for (const k of [1, 2, 3]) expect(three.filter((x) => x.startsWith('RF') && x.includes(`deployment-${k}/`) && !x.startsWith('RF208')).sort(), `folder ${k}`).toEqual(alone.filter((x) => !x.startsWith('RF208')).map((x) => x.replace('deployment-1/', `deployment-${k}/`)).sort());
  });

  /**
   * The work of one doctor run, counted, not timed: the elements every array search and listing walks
   * (what test/doctor-folders-linear.test.ts counts), and the Kubernetes subjects listed per cluster.
   * The all-pairs proof still asks each cluster's platform about each runner's identities (runners ×
   * clusters calls, each a lookup): not counted here, it is the proof's shape, not a scan.
   */
  function work(n: number): number {
    const files = folders(n);
    // A loop over runners or clusters that looks each up: one per lookup.
    return countWork(() => expect(doctor(files).chains.size).toBe(n), { lookups: true });
  }

  /**
   * What still grew with the square at stop 50 and is gone (stop 51): the all-pairs proof asked every
   * cluster's platform about each runner's identities (runners × clusters calls, each a few lookups);
   * it now asks only the clusters whose issuer the identity's federated credentials name
   * (clustersThatMayAssume). Before, ~5.6x; now ~4.4x (what remains above 4: each Azure CLI body's
   * key, az-cli.ts, counts the keys of its type per body).
   */
  it('4x the folders, less than 5x the work (asking each cluster per identity made it ~5.6x; the subjects, artifacts and files per runner or deployment ~13x)', () => {
    const small = work(16);
    const big = work(64);
    expect(big / small, `${small} for 16 folders, ${big} for 64`).toBeLessThan(5);
  });

  /**
   * The walks alone (array searches and key listings, no lookups), stop 52: each Azure CLI body's key
   * counted the keys of its type (az-cli.ts), and each Azure chain's intent runner was a search of every
   * runner (infer.ts). Before, ~4.8x; now ~4.1x.
   */
  it('4x the folders, less than 4.4x the walks (a key count per CLI body and a runner search per chain made it ~4.8x)', () => {
    const walks = (n: number) => {
      const f = folders(n);
      return countWork(() => expect(doctor(f).chains.size).toBe(n));
    };
    // Once first: what a first run does once (module-level memos filled) is not the folders' work.
    walks(4);
    const small = walks(16);
    const big = walks(64);
    expect(big / small, `${small} for 16 folders, ${big} for 64`).toBeLessThan(4.4);
  });

  /**
   * The walks over 32 and 128 folders, stop 55: each new cluster's name was searched for among every
   * cluster named before it (infer.ts, a cluster per folder here). Before, ~4.24x; now ~3.99x.
   */
  it('4x the folders, less than 4.1x the walks at 32 → 128 (a search of every cluster name per new cluster made it ~4.24x)', () => {
    const walks = (n: number) => {
      const f = folders(n);
      return countWork(() => expect(doctor(f).chains.size).toBe(n));
    };
    walks(4);
    const small = walks(32);
    const big = walks(128);
    expect(big / small, `${small} for 32 folders, ${big} for 128`).toBeLessThan(4.1);
  });
});

describe('the all-pairs proof asks only the clusters an identity may admit, and finds what asking each found', () => {
  /** The doctor's findings and proofs, with the AKS platform's cluster hint or without it (every cluster asked). */
  const run = (files: InputFile[], hint: boolean) => {
    const hinted = aksPlatform as { clustersThatMayAssume?: unknown };
    const saved = hinted.clustersThatMayAssume;
    if (!hint) delete hinted.clustersThatMayAssume;
    try {
      const r = doctor(files);
      return { findings: r.findings.map((x) => `${x.code} ${x.path} ${x.message}`), proofs: r.proofs.map((p) => `${p.runner} ${p.holds} ${p.claim}`) };
    } finally {
      hinted.clustersThatMayAssume = saved;
    }
  };

  it('over several AKS folders, and over the corpus cases with AKS clusters', () => {
    const cases = [folders(3), ...['two-deployments-aks-eks', 'two-roots-same-addresses-aks'].map((c) => corpusFiles(fileURLToPath(new URL(`./doctor/corpus/${c}`, import.meta.url))))];
    for (const files of cases) {
      const asked = run(files, true);
      expect(asked.proofs.length).toBeGreaterThan(0);
      expect(asked).toEqual(run(files, false));
    }
  });

  it("where an identity's credential names another folder's cluster: that cluster is asked, and what it admits said as before", () => {
    // Folder 2's federated credential names folder 1's issuer (its GUIDs end in 1) and service account: folder 1's manager may take folder 2's identity, folder 2's may not.
    const other = (text: string) => text.replace(/("issuer": "[^"]*)/g, (m) => m.replace(/0{11}2\//g, '000000000001/')).replace(/("subject": "[^"]*)/g, (m) => m.replace(/gitlab-2-/g, 'gitlab-1-'));
    const files = folders(2).map((f) => (f.path === 'deployment-2/federated-credentials.json' ? { ...f, bytes: enc.encode(other(dec.decode(f.bytes))) } : f));
    const asked = run(files, true);
    expect(asked.findings.filter((x) => x.startsWith('RF103 deployment-2/'))).toEqual([expect.stringContaining('can also be assumed by cluster:gitlab-1-runner/gitlab-1-runner')]);
    expect(asked).toEqual(run(files, false));
  });
});

describe('runnersOfCluster: the runners of a cluster, as a filter of them finds them', () => {
  it('agrees with the filter on random runner lists, and follows a list that grew', () => {
    const rnd = random(20261250);
    for (let round = 0; round < 200; round++) {
      const runners = Array.from({ length: rnd(12) }, (_, i) => ({ name: `r${i}`, cluster: `c${rnd(4)}` }) as IntentRunner);
      for (const c of ['c0', 'c1', 'c2', 'c3', 'c4']) expect(runnersOfCluster(runners, c)).toEqual(runners.filter((r) => r.cluster === c));
      runners.push({ name: 'late', cluster: 'c1' } as IntentRunner);
      expect(runnersOfCluster(runners, 'c1')).toEqual(runners.filter((r) => r.cluster === 'c1'));
    }
  });
});

describe("the fleet's subjects, one index for every runner view: a view's subjects are the fleet's", () => {
  const cluster = (name: string, type: string) => ({ name, type }) as unknown as ResolvedCluster;
  const sa = (name: string, namespace: string) => ({ kind: 'ServiceAccount', metadata: { name, namespace } });
  const ns = (name: string) => ({ kind: 'Namespace', metadata: { name } });

  it("on random fleets, a runner's own Azure view (another root and context, the same runners and clusters) lists the subjects of the whole, and kubernetesOnly keeps one array per list", () => {
    const rnd = random(20261251);
    for (let round = 0; round < 150; round++) {
      const clusters = Array.from({ length: 1 + rnd(4) }, (_, i) => cluster(`c${i}`, ['aks', 'eks', 'aks'][rnd(3)]!));
      const runners = Array.from({ length: rnd(8) }, (_, i) => ({ name: `r${i}`, cluster: `c${rnd(clusters.length + 1)}` }) as IntentRunner);
      const emitted = new Map(runners.filter(() => rnd(5) > 0).map((r) => [r.name, { manifests: Array.from({ length: rnd(4) }, () => (rnd(3) === 0 ? ns(`n${rnd(3)}`) : sa(`s${rnd(3)}`, `n${rnd(3)}`))) }]));
      const docs = { runners: emitted, artifacts: [] } as unknown as FleetDocuments;
      const fleet = { clusters, runners } as unknown as FleetIntent;
      const index = fleetSubjectIndex(docs, fleet);
      const k8s = kubernetesOnly(index.all);
      expect(k8s).toEqual(index.all.filter((s): s is KubernetesSubject => s.kind === 'kubernetes'));
      expect(kubernetesOnly(index.all)).toBe(k8s);
      // verifyFleet passes this index to every runner's chain proof, whichever view the runner has.
      const view = { ...docs, terraformAzure: {} } as FleetDocuments;
      expect(fleetSubjects(view, { ...fleet, azure: {} } as unknown as FleetIntent)).toEqual(index.all);
    }
  });
});

describe('azureDeployments: each deployment its own files, as a test of every file per deployment picks them', () => {
  const subscription = (i: number) => `6a7b8c9d-0e1f-4a2b-8c3d-${String(i).padStart(12, '0')}`;
  /** Evidence of Azure blocks in the folders given, and files (artifacts) at the paths given. */
  const evidence = (blockFolders: string[], paths: string[]) => {
    const origins = new Map<string, { source: { path: string } }>();
    const resource: Record<string, Record<string, Record<string, unknown>>> = { azurerm_user_assigned_identity: {} };
    blockFolders.forEach((folder, i) => {
      resource.azurerm_user_assigned_identity![`id${i}`] = { name: 'same-name', resource_group_name: 'rg' };
      origins.set(`azurerm_user_assigned_identity.id${i}`, { source: { path: `${folder}/main.tf` } });
    });
    // Each file a Terraform root naming its own subscription: a deployment's is that of its first file.
    return { terraform: { resource, data: {}, origins }, artifacts: paths.map((path, i) => ({ path, format: 'json', content: { provider: { azurerm: { subscription_id: subscription(i) } } } })) } as never;
  };
  /** What it replaced: the files under each deployment's folder, and for a path the last deployment it is under. */
  const oracle = (groups: string[], paths: string[]) => ({
    files: groups.map((g) => paths.filter((p) => p.replace(/\\/g, '/').startsWith(`${g}/`))),
    of: (path: string) => {
      let hit: number | undefined;
      groups.forEach((g, i) => {
        if (path.replace(/\\/g, '/').startsWith(`${g}/`)) hit = i;
      });
      return hit;
    },
  });

  it('agrees with the test of every file on random folders and paths (a deployment reads its subscription from its first file)', () => {
    const rnd = random(20261252);
    const parts = ['a', 'b', 'ab', 'a.b', 'x'];
    const folder = (depth: number) => Array.from({ length: depth }, () => parts[rnd(parts.length)]!).join('/');
    let compared = 0;
    for (let round = 0; round < 400; round++) {
      const top = rnd(2) === 0 ? '' : `${folder(1)}/`;
      const blockFolders = Array.from({ length: 2 + rnd(3) }, () => `${top}${folder(1 + rnd(2))}`);
      const paths = Array.from({ length: rnd(10) }, () => {
        const p = `${rnd(3) === 0 ? folder(1 + rnd(3)) : `${blockFolders[rnd(blockFolders.length)]!}${rnd(2) === 0 ? '' : `/${folder(1)}`}`}/f${rnd(3)}.yaml`;
        return rnd(6) === 0 ? p.replace(/\//g, '\\') : p;
      });
      const ev = evidence(blockFolders, paths);
      const d = azureDeployments(ev);
      if (!d) continue;
      compared++;
      // The groups, in the order `all` gives them: the first folder below the shared one of each block's folder.
      const split = blockFolders.map((f) => f.split('/'));
      let common = 0;
      while (split.every((p) => p.length > common && p[common] === split[0]![common])) common++;
      const groups = [...new Set(split.map((p) => p.slice(0, common + 1).join('/')))];
      const want = oracle(groups, paths);
      expect(d.all.map((e) => e.subscriptionId), `${blockFolders.join(' ')} / ${paths.join(' ')}`).toEqual(want.files.map((files) => (files.length > 0 ? subscription(paths.indexOf(files[0]!)) : undefined)));
      for (const p of [...paths, ...groups, ...groups.map((g) => `${g}x/f.yaml`), 'f.yaml']) {
        const i = want.of(p);
        expect(d.of(p), p).toBe(i === undefined ? undefined : d.all[i]);
      }
    }
    expect(compared).toBeGreaterThan(100);
  });
});
