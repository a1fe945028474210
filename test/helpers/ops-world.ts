import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { opsCommand, type OpsCommandName, type OpsOptions, type OpsWorld } from '../../src/cli/ops.js';
import { loadAndPlan } from '../../src/cli/load.js';
import type { PlanResult } from '../../src/core.js';
import type { DesiredRunner } from '../../src/ops/desired.js';
import { desiredRunners } from '../../src/ops/desired.js';
import { markerText, parseMarker } from '../../src/ops/marker.js';
import { ManagerNotDeployedError, type StoredToken, type TokenStore } from '../../src/ops/ports.js';
import { exampleValue } from './fleet.js';
import { GitLabDouble, VirtualClock } from './gitlab-double.js';
import { serveGitLab } from './gitlab-https.js';

export const CANARY = 'CANARYzq7';
export const ACCESS_TOKEN = `glpat-${CANARY}access0123456789`;

/**
 * The operations spec: mixed-eks-vm with one runner per GitLab scope — a group runner in `acme`,
 * one in the subgroup `acme/platform` (whose listing also returns acme's runners), a project
 * runner and an instance runner; every one registered through the API.
 */
export function opsSpec(): Record<string, any> {
  const s = exampleValue('mixed-eks-vm');
  s.runners[0].gitlab = { group: 'acme', tags: ['k8s'], registration: 'api', maximumTimeoutSeconds: 3600 };
  s.runners[1].gitlab = { group: 'acme/platform', tags: ['docker'] };
  s.runners[2].gitlab = { project: 'acme/platform/api', tags: ['fargate'] };
  s.runners[3].gitlab = { instance: true, tags: ['autoscale'] };
  return s;
}

export function writeSpec(spec: Record<string, any>): string {
  const dir = mkdtempSync(join(tmpdir(), 'rf-ops-'));
  const file = join(dir, 'fleet.yaml');
  writeFileSync(file, stringify(spec));
  return file;
}

/** A token store in memory; `failWrites` makes the next writes fail (a crash between creating and storing). */
export class MemoryStore implements TokenStore {
  value?: StoredToken;
  failWrites = 0;
  restarts = 0;
  /** Calls of markRestarted. */
  marked = 0;
  /**
   * Whether the manager is deployed, as managerDeployed answers (undefined: not known, the default);
   * false also makes restartManager throw ManagerNotDeployedError, as a Deployment's 404 does.
   */
  deployed: boolean | undefined = undefined;
  constructor(readonly label: string, private readonly onRestart: (token: string | undefined) => void) {}
  read() {
    return Promise.resolve(this.value ? { ...this.value } : undefined);
  }
  write(v: StoredToken) {
    if (this.failWrites > 0) {
      this.failWrites--;
      return Promise.reject(new Error(`${this.label}: write failed (injected)`));
    }
    this.value = { ...v };
    return Promise.resolve();
  }
  clear() {
    this.value = undefined;
    return Promise.resolve();
  }
  /** As the stores do: the state alone, on the token held now while it is still marked restart-owed (a tag or annotation, no write of the token); false: left as it is. */
  markRestarted(held: StoredToken) {
    this.marked++;
    if (this.value === undefined || this.value.token !== held.token || this.value.state === 'pending') return Promise.resolve(false);
    this.value = { ...this.value, state: 'valid' };
    return Promise.resolve(true);
  }
  managerDeployed() {
    return Promise.resolve(this.deployed);
  }
  restartManager() {
    if (this.deployed === false) return Promise.reject(new ManagerNotDeployedError(`${this.label}: no manager deployed (injected)`));
    this.restarts++;
    this.onRestart(this.value?.token);
    return Promise.resolve();
  }
}

export interface Harness {
  clock: VirtualClock;
  double: GitLabDouble;
  stores: Map<string, MemoryStore>;
  world: OpsWorld;
  output: string[];
  run: (command: OpsCommandName, opts?: OpsOptions) => Promise<{ code: number; out: string; err: string }>;
}

const planCache = new Map<string, Promise<PlanResult>>();

export function harness(file: string, opts: { seed?: number; faultRate?: number; tokenLifetimeMs?: number | null } = {}): Harness {
  const clock = new VirtualClock();
  const double = new GitLabDouble({ accessToken: ACCESS_TOKEN, clock, canary: CANARY, seed: opts.seed ?? 1, faultRate: opts.faultRate ?? 0, tokenLifetimeMs: opts.tokenLifetimeMs === undefined ? 30 * 86_400_000 : opts.tokenLifetimeMs });
  double.addGroup('acme');
  double.addGroup('acme/platform');
  double.addProject('acme/platform/api');
  const stores = new Map<string, MemoryStore>();
  const output: string[] = [];
  const world: OpsWorld = {
    env: { RUNNER_FLEET_GITLAB_TOKEN: ACCESS_TOKEN },
    readStdin: () => Promise.resolve(`${ACCESS_TOKEN}\n`),
    fetch: double.fetch,
    timing: clock,
    requestTimeoutMs: 0,
    store: (d: DesiredRunner) => {
      let s = stores.get(d.name);
      if (!s) {
        s = new MemoryStore(`memory store of ${d.name}`, (token) => token !== undefined && double.contact(token));
        stores.set(d.name, s);
      }
      return s;
    },
    loadPlan: (f) => {
      let p = planCache.get(f);
      if (!p) {
        p = loadAndPlan(f);
        planCache.set(f, p);
      }
      return p;
    },
  };
  const run = async (command: OpsCommandName, o: OpsOptions = {}) => {
    let out = '';
    let err = '';
    const code = await opsCommand(command, file, o, { out: (s) => (out += s), err: (s) => (err += s) }, world);
    output.push(out, err);
    return { code, out, err };
  };
  return { clock, double, stores, world, output, run };
}

export interface Counts {
  duplicates: number;
  orphans: number;
  lostTokens: number;
  tokensInOutput: number;
}

/** The end-state invariants, counted. */
export function count(h: Harness, plan: PlanResult): Counts {
  const desired = desiredRunners(plan.fleet!);
  const names = new Set(desired.map((d) => d.name));
  const marked = [...h.double.runners.values()].filter((r) => parseMarker(r.description)?.fleet === plan.fleet!.name);
  let duplicates = 0;
  let lostTokens = 0;
  for (const d of desired) {
    const mine = marked.filter((r) => parseMarker(r.description)!.runner === d.name);
    duplicates += Math.max(0, mine.length - 1);
    if (d.registration !== 'api') continue;
    const stored = h.stores.get(d.name)?.value;
    if (mine.length === 0 || !stored || stored.token !== mine[0]!.token || stored.state === 'pending') lostTokens++;
  }
  const orphans = marked.filter((r) => !names.has(parseMarker(r.description)!.runner)).length;
  const allTokens = [ACCESS_TOKEN, ...[...h.double.runners.values()].map((r) => r.token)];
  const text = h.output.join('');
  const tokensInOutput = (text.match(new RegExp(CANARY, 'g')) ?? []).length + allTokens.filter((t) => text.includes(t)).length;
  return { duplicates, orphans, lostTokens, tokensInOutput };
}

export function duplicatesNow(h: Harness, fleet: string): number {
  const byName = new Map<string, number>();
  for (const r of h.double.runners.values()) {
    const m = parseMarker(r.description);
    if (m?.fleet === fleet) byName.set(m.runner, (byName.get(m.runner) ?? 0) + 1);
  }
  return [...byName.values()].reduce((n, c) => n + Math.max(0, c - 1), 0);
}

/**
 * Signals sent to an ops command in the test world: `send` calls the handler the command installed
 * (onInterrupt) as the CLI's process listener would, and records its answer ('hold' or nothing);
 * `exits` records the exit codes the command asked for.
 */
export function signals(h: Harness) {
  let handler: ((signal: 'SIGINT' | 'SIGTERM') => 'hold' | void) | undefined;
  const answers: ('hold' | void)[] = [];
  const exits: number[] = [];
  h.world.onInterrupt = (fn) => {
    handler = fn;
    return () => (handler = undefined);
  };
  h.world.exit = (code) => exits.push(code);
  return { answers, exits, send: (s: 'SIGINT' | 'SIGTERM') => answers.push(handler?.(s)) };
}

/** Runs an operations command against the harness's world; its output joins the harness's (checked for secrets by the tests). */
export async function runOps(h: Harness, command: OpsCommandName, file: string, o: OpsOptions = {}) {
  let out = '';
  let err = '';
  const code = await opsCommand(command, file, o, { out: (s) => (out += s), err: (s) => (err += s) }, h.world);
  h.output.push(out, err);
  return { code, out, err };
}

/**
 * The GitLab double of the ops spec's groups (acme, acme/platform, project acme/platform/api), served
 * over HTTPS for a child-process CLI; its server joins `servers` (closed by the caller), and the spec
 * is written with its URL.
 */
export async function servedOpsGitLab(tls: { key: Buffer; cert: Buffer }, servers: { close: () => void }[]): Promise<{ double: GitLabDouble; file: string; url: string }> {
  const double = new GitLabDouble({ accessToken: ACCESS_TOKEN, clock: new VirtualClock(), canary: CANARY });
  double.addGroup('acme');
  double.addGroup('acme/platform');
  double.addProject('acme/platform/api');
  const served = await serveGitLab(double, { key: tls.key, cert: tls.cert });
  servers.push(served.server);
  const spec = opsSpec();
  spec.gitlab.url = served.url;
  return { double, file: writeSpec(spec), url: served.url };
}

/** The GitLab id of fleet acme's runner `name` in the double, found by its marker. */
export const runnerIdOf = (h: Harness, name: string): number => [...h.double.runners.values()].find((r) => r.description.endsWith(markerText('acme', name)))!.id;

/**
 * The ops spec registered (the whole fleet, so a status exit code is runner k8s's store's alone), then
 * k8s's store marked `restart-owed`, its manager deployed or not (undefined: the store cannot tell).
 */
export async function restartOwedHarness(deployed: boolean | undefined): Promise<Harness> {
  const h = harness(writeSpec(opsSpec()));
  const registered = await h.run('register', { approve: true });
  if (registered.code !== 0) throw new Error(`register exited ${registered.code}: ${registered.out}`);
  const store = h.stores.get('k8s')!;
  store.value = { ...store.value!, state: 'restart-owed' };
  store.deployed = deployed;
  return h;
}
