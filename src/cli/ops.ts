import { loadAndPlan } from './load.js';
import type { PlanResult } from '../core.js';
import { summaryLine, textReport } from './report.js';
import { desiredRunners, type DesiredRunner } from '../ops/desired.js';
import { Engine, unassignAdvice, type Held, type Step, type StepResult } from '../ops/engine.js';
import type { OpsReport } from '../ops/report.js';
import type { TokenStore } from '../ops/ports.js';
import type * as KeyVaultModule from '../live/keyvault.js';
import { GitLabClient, type FetchLike } from '../live/gitlab.js';
import { safeFinding, safeText } from '../spec/findings.js';
import { errnoReason } from '../io/errno.js';
import { realTiming, type Timing } from '../live/retry.js';
import { Redactor } from '../live/redact.js';
import { isAccessRefused } from '../live/access.js';
import type { KubeApi } from '../live/kubernetes.js';

/**
 * The operations commands: status, register, rotate, drain, resume, prune, unregister.
 * Read first, print the plan, act only with --approve. The GitLab access token comes from the
 * environment (RUNNER_FLEET_GITLAB_TOKEN, or GITLAB_TOKEN) or from stdin (--token-stdin), never
 * from an argument or a file. Every line printed goes through a Redactor.
 */

export type OpsCommandName = OpsReport['command'];

export interface OpsOptions {
  json?: boolean;
  approve?: boolean;
  runner?: string;
  tokenStdin?: boolean;
  caFile?: string;
  kubeApi?: string[];
  /** `<cluster>=<pem>`: the CA of an https:// --kube-api of that cluster. */
  kubeCaFile?: string[];
  /** `<cluster>=<file>`: the file holding the bearer token for an https:// --kube-api of that cluster (never the token itself). */
  kubeTokenFile?: string[];
  ifExpiringWithin?: string;
  timeout?: string;
  wait?: string;
  managers?: boolean;
  /** status: false with --no-stores (the token stores are not read). */
  stores?: boolean;
  /** status --verify-tokens: ask GitLab (POST /runners/verify) whose each stored token is and whether it works. */
  verifyTokens?: boolean;
}

export interface OpsIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

/** What the commands reach the world through; tests replace it. */
export interface OpsWorld {
  env: Record<string, string | undefined>;
  readStdin: () => Promise<string>;
  fetch?: FetchLike;
  timing: Timing;
  /** Builds a runner's token store (default: Kubernetes Secret or SSM parameter clients). */
  store?: (d: DesiredRunner, opts: OpsOptions) => TokenStore;
  /** Per-request timeout of GitLab and Kubernetes calls (default DEFAULT_REQUEST_TIMEOUT_MS, 20 s; 0 for a double that simulates timeouts). */
  requestTimeoutMs?: number;
  /** How long one GitLab or Kubernetes call, its retries and waits included, may take (default DEFAULT_CALL_DEADLINE_MS, 45 s). */
  callDeadlineMs?: number;
  /** Key Vault transport and vault URL (tests: a double over https with its own CA); default: makeFetch() and https://<vault>.vault.azure.net. */
  keyVault?: { fetch: FetchLike; url: (vaultName: string) => string };
  /** Reads and plans the spec (tests reuse one plan across many runs). */
  loadPlan?: (file: string) => Promise<PlanResult>;
  /** `--kube-api <cluster>=aks:…`: Azure tokens and the ARM endpoint (tests: a double); default @azure/identity and management.azure.com. */
  aks?: { token: (scope: string) => Promise<string>; armUrl: string; fetch: FetchLike; makeFetch?: (opts: { ca: string }) => Promise<FetchLike> };
  /**
   * While `drain` waits, and while `register`, `rotate`, `unregister` and `prune` apply: calls
   * `handler` on Ctrl-C (SIGINT) or SIGTERM, then ends the process (130, 143) unless the handler
   * answers `hold` (a new token is held only in memory, or a deleted runner's token is still in its
   * store: the process ends through `exit` once it is stored or emptied); returns the
   * function that stops listening. Default: process signals. Tests give their own.
   */
  onInterrupt?: (handler: (signal: 'SIGINT' | 'SIGTERM') => 'hold' | void) => () => void;
  /** Ends the process (default process.exit): the exit of an interrupt that was held. */
  exit?: (code: number) => void;
}

const MUTATING = new Set<OpsCommandName>(['register', 'rotate', 'drain', 'resume', 'prune', 'unregister']);
const NEEDS_RUNNER = new Set<OpsCommandName>(['drain', 'resume', 'unregister']);

/**
 * An API server address as `kubectl proxy` prints it: http(s)://host[:port] with nothing after
 * it (a path, query or fragment would be joined into every Secret request: `…/x?y` reads another URL).
 */
function apiServerUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '' && url.username === '' && url.password === '' && (url.pathname === '/' || url.pathname === '') && url.search === '' && url.hash === '' && !/[?#]/.test(value);
}

/** 90s, 30m, 24h, 7d → milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

/**
 * The range of each duration option. Every wait is a loop of short sleeps, so no value reaches a
 * timer whole (Node clamps a setTimeout over 2^31-1 ms, 24.8 days, to 1 ms), but a value past
 * its range is a typo or a misunderstanding, never a wish: it is refused (exit 2), not clamped.
 */
export const DURATION_RANGES = {
  // GitLab refuses a project's maximum job timeout of a month or more (build_timeout): no job outlasts 30d.
  '--timeout': { max: 30 * 86_400_000, maxText: '30d', why: 'no GitLab job runs longer: a project\'s maximum job timeout is under a month', example: '3h' },
  '--wait': { max: 86_400_000, maxText: '24h', why: 'a manager that has not come back in a day will not; status shows it', example: '5m' },
  '--if-expiring-within': { max: 3650 * 86_400_000, maxText: '3650d', why: 'ten years: every expiring token is within it', example: '7d' },
} as const;

/**
 * A duration option's value in milliseconds, or what is wrong with it: a whole number and one of
 * the units s, m, h, d (90s, 30m, 3h, 7d), from 0s to the option's most.
 */
export function durationArg(name: keyof typeof DURATION_RANGES, value: string): { ms: number } | { problem: string } {
  const range = DURATION_RANGES[name];
  const shown = JSON.stringify(safeText(value.length > 40 ? `${value.slice(0, 40)}…` : value, 60));
  const form = `a whole number and a unit, s, m, h or d (seconds, minutes, hours, days), from 0s to ${range.maxText}; for example ${name} ${range.example}`;
  const ms = parseDuration(value);
  if (ms !== undefined) {
    if (ms > range.max) return { problem: `${name} ${shown} is longer than ${range.maxText}, the most it may be (${range.why}): give ${form}` };
    return { ms };
  }
  const t = value.trim();
  const what = t === ''
    ? 'is empty'
    : /^-/.test(t)
      ? 'is negative'
      : /^\d+$/.test(t)
        ? 'has no unit'
        : /^\d+[a-zA-Z]+$/.test(t)
          ? `has a unit runner-fleet does not know (${JSON.stringify(safeText(t.replace(/^\d+/, ''), 20))})`
          : 'is not a whole number with a unit';
  return { problem: `${name} ${shown} ${what}: give ${form}` };
}

function defaultWorld(): OpsWorld {
  return {
    env: process.env,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    timing: realTiming,
    exit: (code) => process.exit(code),
    onInterrupt: (handler) => {
      const on = (signal: 'SIGINT' | 'SIGTERM') => () => {
        if (handler(signal) === 'hold') return;
        process.exit(signal === 'SIGINT' ? 130 : 143);
      };
      const int = on('SIGINT');
      const term = on('SIGTERM');
      // `on`, not `once`: a second signal while a token is held is this handler's too (it stops at once).
      process.on('SIGINT', int);
      process.on('SIGTERM', term);
      return () => {
        process.off('SIGINT', int);
        process.off('SIGTERM', term);
      };
    },
  };
}

/**
 * What an interrupted `drain` leaves and what to run next: the runner it paused stays paused (GitLab
 * gives it no new jobs; those running go on), whatever ended the wait.
 */
export function interruptedDrain(signal: 'SIGINT' | 'SIGTERM', specFile: string, runner: string, ids: readonly number[]): string {
  const name = safeText(runner, 200);
  const which = ids.length === 0 ? `runner ${name}` : `runner ${name} (${ids.map((id) => `#${id}`).join(', ')})`;
  const spec = safeText(specFile, 200);
  return `runner-fleet drain: interrupted (${signal === 'SIGINT' ? 'Ctrl-C, SIGINT' : 'SIGTERM'}) while waiting for the jobs of ${which}: it stays paused (GitLab gives it no new jobs; the jobs running on it go on). To let it take jobs again: ${resumeCommand(specFile, runner)}. To keep waiting for its jobs: run the same drain again. runner-fleet status ${spec} shows whether it is paused.\n`;
}

/** The command that lets a drained runner take jobs again: the one text drain's message and its --json report give. */
export function resumeCommand(specFile: string, runner: string): string {
  return `runner-fleet resume ${safeText(specFile, 200)} --runner ${safeText(runner, 200)} --approve`;
}

const signalText = (signal: 'SIGINT' | 'SIGTERM') => (signal === 'SIGINT' ? 'Ctrl-C, SIGINT' : 'SIGTERM');

/**
 * What `register` or `rotate` says when Ctrl-C or SIGTERM ends it, and the --json `interrupted`.
 * A signal while a new token exists only in this process (from the request that creates or
 * resets it until it is stored: `held`) is held until the token is stored, then the run stops
 * (`stored`); a second signal stops at once and says what is left. A signal at any other moment
 * stops at once: nothing is then held only in memory, and the same command again finishes.
 */
export function interruptedApply(
  command: 'register' | 'rotate' | 'unregister' | 'prune',
  signal: 'SIGINT' | 'SIGTERM',
  specFile: string,
  onlyRunner: string | undefined,
  at: { runner: string; id?: number; held?: Held; stored?: boolean },
): { text: string; interrupted: NonNullable<OpsReport['interrupted']> } {
  const spec = safeText(specFile, 200);
  const runner = safeText(at.runner, 200);
  const again = `runner-fleet ${command} ${spec}${onlyRunner !== undefined ? ` --runner ${safeText(onlyRunner, 200)}` : ''} --approve`;
  const repair = `runner-fleet register ${spec} --runner ${runner} --approve`;
  const head = `runner-fleet ${command}: interrupted (${signalText(signal)})`;
  const ids = at.id !== undefined ? [at.id] : at.held?.id !== undefined ? [at.held.id] : [];
  // unregister and prune hold no new token: what they hold is a store not yet emptied of a deleted runner's token.
  const deletes = command === 'unregister' || command === 'prune';
  if (at.held === undefined) {
    const left = `what was applied stays applied, the rest of the plan was not${command === 'rotate' ? ', and a manager whose new token was stored may not have been restarted yet' : ''}`;
    const then = command === 'rotate' ? ', rotates again and restarts the managers' : deletes ? ': a runner already deleted is not deleted again' : ' and creates no second runner';
    return { text: `${head} while ${deletes ? 'no deleted runner\'s token was left in a store' : 'no new token was held only in this process'}: ${left}. To finish: ${again} (it reads GitLab and the token stores first${then}); runner-fleet status ${spec} shows where each runner stands.\n`, interrupted: { signal, runner: at.runner, ids, left, rerun: again } };
  }
  const h = at.held;
  const stored = (v: boolean) => (deletes ? {} : { stored: v });
  if (h.failed !== undefined) {
    // The step failed while the signal was held (a store another owner took meanwhile): its error says what is left and what to do first.
    const left = h.failed.replace(/\.+$/, '');
    return { text: `${head}: the step of runner ${runner} ended while the signal was held, and the run stopped there: ${left}. Then: ${again} (it reads GitLab and the token stores first).\n`, interrupted: { signal, runner: h.runner, ids, ...stored(false), left, rerun: again } };
  }
  if (deletes) {
    if (h.done !== undefined) {
      const left = `${h.done}; the rest of the plan was not applied`;
      return { text: `${head}: the signal was held until the token store was emptied, and the run stopped there: ${left}: ${again} does it.\n`, interrupted: { signal, runner: h.runner, ids, left, rerun: again } };
    }
    return { text: `${head} before the token store was emptied: ${h.left}. Repair: ${again}.\n`, interrupted: { signal, runner: h.runner, ids, left: h.left, rerun: again } };
  }
  if (!at.stored && h.done !== undefined) {
    // Settled without storing a token (a register that lost a race of two): nothing is held, nothing to repair.
    const left = `${h.done}; nothing of this runner is left to repair, and the rest of the plan was not applied`;
    return { text: `${head}: ${left}. To finish: ${again}.\n`, interrupted: { signal, runner: h.runner, ids, stored: false, left, rerun: again } };
  }
  if (at.stored && h.done !== undefined) {
    const register = `runner-fleet register ${spec} --runner ${runner} --approve`;
    const manager = h.restartOwed === true
      // The store records the restart as owed: the next register (or rotate) restarts the manager, without a new token.
      ? `its manager was not restarted and may still run with the old token, which GitLab no longer accepts; the token store records that its restart is owed: ${command === 'rotate' ? `${register} restarts it without a new token (${again} resets it again, restarts it and rotates the rest of the plan)` : `${again} restarts it (no new token) and does the rest of the plan`}; runner-fleet status ${spec} says restart-owed until then`
      : `its manager was not restarted (one already running reads the new token only when it restarts: runner-fleet rotate ${spec} --runner ${runner} --approve resets the token again, stores it and restarts it), and the rest of the plan was not applied: ${again} does it (no second runner)`;
    const left = `${h.done}; ${manager}`;
    return { text: `${head}: the new token was stored first (it existed only in this process), and the run stopped there: ${left}.\n`, interrupted: { signal, runner: h.runner, ids, stored: true, left, rerun: again } };
  }
  const left = h.left;
  return { text: `${head} before the new token held only in this process was stored: ${left}. Repair: ${repair}.\n`, interrupted: { signal, runner: h.runner, ids, stored: false, left, rerun: repair } };
}

/** A bearer token file's token: its text without the line end and surrounding blanks (`kubectl create token … > file`). */
async function readTokenFile(file: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  return (await readFile(file, 'utf8')).trim();
}

/** How long a Key Vault runner's restart waits for the CSI driver to sync the new token into the chart's Secret (its rotation poll is 2 min by default). */
export const KEY_VAULT_SYNC_WAIT_MS = 150_000;

/** `<cluster>=<value>` options (--kube-api, --kube-ca-file) by cluster; entries without `=` are left out (checked before). */
function byCluster(entries: string[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of entries ?? []) {
    const i = entry.indexOf('=');
    if (i > 0) out.set(entry.slice(0, i), entry.slice(i + 1));
  }
  return out;
}

async function liveStoreFactory(opts: OpsOptions, world: OpsWorld, progress: (line: string) => void, kubeCas: ReadonlyMap<string, { file: string; ca: string }>, kubeTokens: ReadonlyMap<string, () => Promise<string>>, subscriptionId?: string): Promise<(d: DesiredRunner) => TokenStore> {
  const timing = world.timing;
  const { KubernetesSecretStore, inClusterApi } = await import('../live/kubernetes.js');
  const { makeFetch } = await import('../live/http.js');
  // The limits of GitLab's calls hold for the Kubernetes and Key Vault calls too (retry.ts).
  const kubeLimits = { ...(world.requestTimeoutMs !== undefined ? { requestTimeoutMs: world.requestTimeoutMs } : {}), ...(world.callDeadlineMs !== undefined ? { deadlineMs: world.callDeadlineMs } : {}), progress };
  const apis = new Map<string, string>();
  // `http://127.0.0.1:8001/` and `http://127.0.0.1:8001` are one server: paths are joined to it.
  for (const [cluster, value] of byCluster(opts.kubeApi)) apis.set(cluster, value.replace(/^(https?:\/\/[^/]+)\/$/, '$1'));
  const kubeFetch = await makeFetch();
  // An https:// API server with a private CA: that cluster's transport trusts its --kube-ca-file (only).
  const withCa = new Map<string, KubeApi>();
  for (const [cluster, { file, ca }] of kubeCas) {
    const server = apis.get(cluster);
    const token = kubeTokens.get(cluster);
    if (server !== undefined) withCa.set(cluster, { server, fetch: await makeFetch({ ca }), caName: `--kube-ca-file ${cluster}=${JSON.stringify(safeText(file, 200))}`, caFile: file, ...(token ? { token } : {}) });
  }
  const inCluster = await inClusterApi((ca) => makeFetch({ ca })).catch(() => undefined);
  const noKube = (cluster: string) => new Error(`no Kubernetes API for cluster ${cluster}: run \`kubectl proxy\` against it and pass --kube-api ${cluster}=http://127.0.0.1:8001`);
  const kubeApiOf = (cluster: string): KubeApi | undefined => {
    const server = apis.get(cluster);
    const token = kubeTokens.get(cluster);
    return withCa.get(cluster) ?? (server !== undefined ? { server, fetch: kubeFetch, ...(token ? { token } : {}) } : inCluster);
  };
  let keyVault: Promise<typeof KeyVaultModule> | undefined;
  // `eks:<name>@<region>`: the API of an EKS cluster, reached with the AWS credentials in effect (the rotator role in the pipeline).
  const remote = new Map<string, Promise<KubeApi>>();
  const { parseEksKubeApi } = await import('../live/eks-kube.js');
  for (const [cluster, value] of apis) {
    const target = parseEksKubeApi(value);
    if (!target) continue;
    const api = import('../live/eks-kube.js').then((m) => m.eksKubeApi(target.name, target.region, makeFetch));
    // Observed here so a failed DescribeCluster is reported by the first call that uses it, not as an unhandled rejection.
    api.catch(() => undefined);
    remote.set(cluster, api);
  }
  // `aks:<name>@<resourceGroup>`: the API of an AKS cluster, reached with the Azure identity in effect (the rotator's managed identity in the pipeline).
  for (const [cluster, value] of apis) {
    if (!value.startsWith('aks:')) continue;
    const m = await import('../live/aks-kube.js');
    const target = m.parseAksKubeApi(value);
    if (!target || subscriptionId === undefined) continue;
    const api = (async () => {
      const a = world.aks ?? { token: m.azureTokenSource(world.env), armUrl: m.ARM_URL, fetch: kubeFetch };
      return m.aksKubeApi({ ...target, subscriptionId }, a.token, a.fetch, a.makeFetch ?? makeFetch, a.armUrl, { timing, ...kubeLimits });
    })();
    api.catch(() => undefined);
    remote.set(cluster, api);
  }
  return (d) => {
    const ref = d.store;
    if (ref.kind === 'kubernetes-secret') {
      const viaCloud = remote.get(ref.cluster);
      // A Secret store whose API (EKS: DescribeCluster, AKS: the cluster's credentials) is found when first used.
      if (viaCloud) return new LazyStore(`Secret ${ref.namespace}/${ref.secret} (cluster ${ref.cluster})`, () => viaCloud.then((api) => new KubernetesSecretStore(api, ref, timing, kubeLimits)));
      const api = kubeApiOf(ref.cluster);
      if (!api) {
        return {
          label: `Secret ${ref.namespace}/${ref.secret} (cluster ${ref.cluster})`,
          read: () => Promise.reject(noKube(ref.cluster)),
          write: () => Promise.reject(noKube(ref.cluster)),
          clear: () => Promise.reject(noKube(ref.cluster)),
          restartManager: () => Promise.reject(noKube(ref.cluster)),
          markRestarted: () => Promise.reject(noKube(ref.cluster)),
          managerDeployed: () => Promise.reject(noKube(ref.cluster)),
        };
      }
      return new KubernetesSecretStore(api, ref, timing, kubeLimits);
    }
    if (ref.kind === 'key-vault-secret') {
      // The manager reads Key Vault through the CSI driver's sync into the chart's Secret: the restart
      // waits for that Secret to hold the new token (read through the Kubernetes API), then restarts.
      const restart = async (expected: string | undefined) => {
        const viaCloud = remote.get(ref.cluster);
        const api = viaCloud ? await viaCloud : kubeApiOf(ref.cluster);
        if (!api) throw noKube(ref.cluster);
        const synced = new KubernetesSecretStore(api, ref, timing, kubeLimits);
        if (expected !== undefined) {
          const start = timing.now();
          for (;;) {
            if ((await synced.read())?.token === expected) break;
            const waited = timing.now() - start;
            if (waited >= KEY_VAULT_SYNC_WAIT_MS) {
              progress(`Secret ${ref.namespace}/${ref.secret} does not hold the new token after ${Math.round(waited / 1000)} s (is secret rotation of the CSI driver enabled?); restarting anyway: the new pod mounts the Key Vault secret afresh`);
              break;
            }
            progress(`waiting for the Secrets Store CSI driver to sync ${ref.secretName} into Secret ${ref.namespace}/${ref.secret} (${Math.round(waited / 1000)} s of ${KEY_VAULT_SYNC_WAIT_MS / 1000} s)`);
            await timing.sleep(10_000);
          }
        }
        await synced.restartManager();
      };
      return new LazyStore(`Key Vault secret ${ref.secretName} (vault ${ref.vaultName})`, async () => {
        keyVault ??= import('../live/keyvault.js');
        const m = await keyVault;
        const transport = world.keyVault ?? { fetch: await makeFetch(), url: (name: string) => (name === ref.vaultName ? ref.vaultUrl : `https://${name}.vault.azure.net`) };
        const deployed = async () => {
          const viaCloud = remote.get(ref.cluster);
          const api = viaCloud ? await viaCloud : kubeApiOf(ref.cluster);
          if (!api) throw noKube(ref.cluster);
          return new KubernetesSecretStore(api, ref, timing, kubeLimits).managerDeployed();
        };
        return new m.KeyVaultSecretStore({ vaultUrl: transport.url(ref.vaultName), bearer: m.keyVaultBearer(world.env), fetch: transport.fetch }, ref, restart, timing, kubeLimits, deployed);
      });
    }
    return new LazyStore(`SSM parameter ${ref.parameter} (${ref.region})`, async () => new (await import('../live/ssm.js')).SsmParameterStore(ref));
  };
}

/** Loads a store's client (the AWS SDK, the Key Vault client, a cluster's API) only when the store is first used. */
class LazyStore implements TokenStore {
  private inner?: Promise<TokenStore>;
  constructor(readonly label: string, private readonly load: () => Promise<TokenStore>) {}
  private get store() {
    this.inner ??= this.load();
    return this.inner;
  }
  async read() { return (await this.store).read(); }
  async write(v: Parameters<TokenStore['write']>[0]) { return (await this.store).write(v); }
  async clear() { return (await this.store).clear(); }
  async restartManager() { return (await this.store).restartManager(); }
  async markRestarted(v: Parameters<TokenStore['markRestarted']>[0]) { return (await this.store).markRestarted(v); }
  async managerDeployed() { const s = await this.store; return s.managerDeployed ? s.managerDeployed() : undefined; }
}

function stepsText(title: string, steps: (Step | StepResult)[]): string[] {
  if (steps.length === 0) return [`${title}: nothing to do`];
  return [`${title}:`, ...steps.map((s) => `  ${'outcome' in s ? `${s.outcome.padEnd(7)} ` : ''}${s.action} ${s.runner}${s.id !== undefined ? ` #${s.id}` : ''}: ${s.detail}`)];
}

/** A registered runner's token expiry as status says it: unknown is said, never left out (it would read as "never"). */
function expiryText(r: NonNullable<OpsReport['runners']>[number]): string {
  if (r.tokenExpiry === 'expires') return `token expires ${r.tokenExpiresAt ?? '?'}${r.tokenExpirySource === 'store' ? ' (as the token store recorded it when GitLab issued the token)' : ''}`;
  if (r.tokenExpiry === 'never') return `token never expires${r.tokenExpirySource === 'store' ? ' (as the token store recorded GitLab\'s answer when it issued the token)' : ''}`;
  return `token expiry unknown (this GitLab's GET /runners/:id has no token_expires_at${r.store?.state === 'ok' ? ', and the token store records none' : ''})`;
}

function text(report: OpsReport): string {
  const lines: string[] = [];
  if (report.runners) {
    for (const r of report.runners) {
      const state = !r.registered
        ? 'NOT REGISTERED'
        : r.detailsNotFound === true
          ? `#${r.ids.join(', #')}: details not found (deleted or not visible to this token; GET /runners/${r.ids[0]} answered 404)`
          : r.contactIsTokenCheck === true
            // GitLab counts runner-fleet's verify as a contact: not presented as the runner being online.
            ? `#${r.ids.join(', #')} last contact ${r.contactedAt ?? '?'} was runner-fleet's token check (POST /runners/verify), not a manager of the runner: ${r.status === 'online' ? 'GitLab\'s "online" reflects it for about 2 h' : `GitLab says ${r.status ?? '?'}`}; the runner's own managers last contacted GitLab at ${r.managersContactedAt ?? 'no time listed'}${r.paused ? ', paused' : ''}, ${r.runningJobs ?? '?'} job(s) running, ${expiryText(r)}`
            : r.contactNotFromManagers === true
              // The token check's manager is removed after it: its contact is one no listed manager made.
              ? `#${r.ids.join(', #')} last contact ${r.contactedAt ?? '?'} was made by none of the runner's managers GitLab lists (runner-fleet's token check, POST /runners/verify, is such a contact): ${r.status === 'online' ? 'GitLab\'s "online" reflects it for about 2 h' : `GitLab says ${r.status ?? '?'}`}; the runner's own managers last contacted GitLab at ${r.managersContactedAt ?? 'no time listed'}${r.paused ? ', paused' : ''}, ${r.runningJobs ?? '?'} job(s) running, ${expiryText(r)}`
              : `#${r.ids.join(', #')} ${r.status ?? '?'}${r.paused ? ', paused' : ''}, last contact ${r.contactedAt ?? 'never'}, ${r.runningJobs ?? '?'} job(s) running, ${expiryText(r)}`;
      lines.push(`runner ${r.name} (${r.scope}, registration ${r.registration}): ${state}${r.ids.length > 1 ? ' — DUPLICATES' : ''}`);
      if (r.managersListed === false) lines.push('  managers: not listed (this GitLab answered 404 to GET /runners/:id/managers: it has no runner managers API)');
      for (const m of r.managers) {
        // GitLab keeps a manager for each system_id a verify sends: runner-fleet's own check is none of the runner's.
        if (m.tokenCheck === true) lines.push(`  manager ${m.systemId}: not a runner manager, left by runner-fleet's token check (POST /runners/verify, last at ${m.contactedAt ?? '?'}); GitLab keeps it, one per runner`);
        else lines.push(`  manager ${m.systemId}: ${m.status ?? '?'}, ${m.version ?? '?'} ${m.platform ?? ''} ${m.ipAddress ?? ''}, last contact ${m.contactedAt ?? 'never'}`);
      }
      for (const d of r.drift) lines.push(`  drift ${d.field}: GitLab has ${JSON.stringify(d.have)}, the spec says ${JSON.stringify(d.want)}`);
      if (r.assignedTo) {
        // What unregister will say when it refuses: the same advice, from the same rule.
        const { from, moved } = unassignAdvice(r.assignedTo, r.scope.startsWith('project:') ? r.scope.slice('project:'.length) : undefined);
        lines.push(`  assigned to ${r.assignedTo.length} projects: ${r.assignedTo.join(', ')} (it runs their jobs too; unregister does not delete it until it is unassigned ${from}${moved ? `. ${moved}; then unregister empties its token store` : ''})`);
      }
      if (r.tokenExpiryMismatch !== undefined) lines.push(`  token expiry: ${r.tokenExpiryMismatch}`);
      if (r.store) lines.push(`  ${r.store.state === 'ok' ? 'token store' : `drift token store (${r.store.state})`} ${r.store.label}: ${r.store.detail}`);
    }
  }
  if (report.phantoms) {
    for (const p of report.phantoms) lines.push(`phantom #${p.id} (${p.scope}): "${p.description}" carries this fleet's marker but runner ${p.runner} is not in the spec there (runner-fleet prune deletes it)`);
  }
  // A read that failed made no plan: only the error is said, never "nothing to do".
  if (report.command !== 'status' && report.plan !== undefined) {
    lines.push(...stepsText('plan', report.plan));
    // Said so that "nothing to do" is not read as "registered": those runners are the terraform/gitlab root's.
    if (report.leftToTerraform) {
      const [one] = report.leftToTerraform;
      const names = report.leftToTerraform.length === 1 ? `runner ${one!}` : `runners ${report.leftToTerraform.join(', ')}`;
      lines.push(`${names}: registered by the generated terraform/gitlab root, which owns ${report.leftToTerraform.length === 1 ? 'its token' : 'their tokens'} (gitlab.registration: terraform, the default on Kubernetes), so ${report.command} leaves ${report.leftToTerraform.length === 1 ? 'it' : 'them'} alone; apply that root, or set gitlab.registration: api to have runner-fleet ${report.command} ${report.leftToTerraform.length === 1 ? 'it' : 'them'}`);
    }
    if (report.results) lines.push(...stepsText('applied', report.results));
    else if (report.plan.some((s) => s.action === 'conflict')) lines.push('', `nothing was changed; --approve ${report.plan.every((s) => s.action === 'conflict') ? 'will not act on' : 'applies the rest, not'} a conflict: fix it first`);
    else if (report.plan.length > 0) lines.push('', 'nothing was changed; run again with --approve to apply this plan');
  }
  if (report.error) lines.push(`error: ${report.error}`);
  return `${lines.join('\n')}\n`;
}

export async function opsCommand(command: OpsCommandName, specFile: string, opts: OpsOptions, io: OpsIo, worldIn?: OpsWorld): Promise<number> {
  const world = worldIn ?? defaultWorld();
  const redactor = new Redactor();
  const out = (s: string) => io.out(redactor.redact(s));
  const err = (s: string) => io.err(redactor.redact(s));
  // With --json, every exit prints one report on stdout (a wrong command too, exit 2, with no
  // plan and `failedAt: "input"`); stderr keeps the text for people.
  let known: { fleet?: string; gitlab?: string } = {};
  let printed = false;
  const inputFailure = (error: string, findings?: PlanResult['findings']) => {
    if (!opts.json || printed) return;
    printed = true;
    const r: OpsReport = { command, ...known, approved: opts.approve === true && MUTATING.has(command), error, failedAt: 'input', ...(findings ? { findings: findings.map(safeFinding) } : {}), apiCalls: 0, exitCode: 2 };
    out(`${JSON.stringify(r, null, 2)}\n`);
  };
  // Messages echo what was given (a path, a proxy URL, a runner name): escaped, never obeyed.
  const usage = (message: string) => {
    const text = safeText(message, 2000);
    err(`runner-fleet ${command}: ${text}\n`);
    inputFailure(text);
    return 2;
  };

  const plan = await (world.loadPlan ?? loadAndPlan)(specFile);
  if (!plan.fleet || plan.exitCode === 2) {
    err(textReport(plan));
    inputFailure(`${specFile} cannot be used: ${summaryLine(plan)} (see findings)`, plan.findings);
    return 2;
  }
  const fleet = plan.fleet;
  known = { fleet: fleet.name, gitlab: fleet.gitlabUrl };
  let desired = desiredRunners(fleet);
  if (NEEDS_RUNNER.has(command) && opts.runner === undefined) return usage('--runner NAME is required');
  // Two flags that cancel each other are a wrong command, never one silently ignored.
  if (opts.verifyTokens === true && opts.stores === false) return usage('--verify-tokens checks the tokens the token stores hold, and --no-stores does not read the stores: drop one of them (--no-stores for GitLab only, --verify-tokens to ask GitLab about each stored token)');
  if (opts.runner !== undefined) {
    const names = desired.map((d) => d.name);
    if (!names.includes(opts.runner)) return usage(`no runner named "${opts.runner}" in ${specFile} (runners: ${names.join(', ')})`);
    if (command !== 'status' && command !== 'prune') desired = desired.filter((d) => d.name === opts.runner);
  }
  // Every --kube-api is checked before anything is called: a typo is exit 2, never a failed request later.
  if ((opts.kubeApi ?? []).length > 0) {
    const [{ parseEksKubeApi }, { parseAksKubeApi }] = await Promise.all([import('../live/eks-kube.js'), import('../live/aks-kube.js')]);
    const clusters = fleet.clusters.map((c) => c.name);
    for (const entry of opts.kubeApi ?? []) {
      const i = entry.indexOf('=');
      const cluster = i > 0 ? entry.slice(0, i) : '';
      const value = i > 0 ? entry.slice(i + 1) : '';
      const shown = JSON.stringify(entry.length > 120 ? `${entry.slice(0, 120)}…` : entry);
      if (i <= 0) return usage(`--kube-api ${shown} is not <cluster>=<api>; for example ${clusters[0] ?? 'ci'}=http://127.0.0.1:8001, ${clusters[0] ?? 'ci'}=eks:<name>@<region> or ${clusters[0] ?? 'ci'}=aks:<name>@<resourceGroup>`);
      if (!clusters.includes(cluster)) return usage(`--kube-api ${shown} names cluster "${cluster}", which ${specFile} does not declare (clusters: ${clusters.join(', ') || 'none'})`);
      const ok = value.startsWith('eks:') ? parseEksKubeApi(value) !== undefined : value.startsWith('aks:') ? parseAksKubeApi(value) !== undefined : apiServerUrl(value);
      if (!ok) return usage(`--kube-api ${shown}: the API of cluster ${cluster} must be an http(s) URL with nothing after host:port (kubectl proxy), eks:<cluster name>@<region> (e.g. eks:ci@eu-west-1) or aks:<cluster name>@<resource group> (e.g. aks:aks-ci@rg-ci)`);
    }
  }
  // Every --kube-ca-file names a cluster whose --kube-api is an https:// URL, once: a CA no
  // request would use is a wrong command (exit 2), never silently ignored.
  const kubeCaEntries: { cluster: string; file: string }[] = [];
  {
    const apis = byCluster(opts.kubeApi);
    const seen = new Set<string>();
    for (const entry of opts.kubeCaFile ?? []) {
      const i = entry.indexOf('=');
      const cluster = i > 0 ? entry.slice(0, i) : '';
      const file = i > 0 ? entry.slice(i + 1) : '';
      const shown = JSON.stringify(entry.length > 120 ? `${entry.slice(0, 120)}…` : entry);
      if (i <= 0 || file === '') return usage(`--kube-ca-file ${shown} is not <cluster>=<pem file>; for example ${fleet.clusters[0]?.name ?? 'ci'}=/path/to/ca.crt (the certificate-authority of that cluster in your kubeconfig)`);
      if (seen.has(cluster)) return usage(`--kube-ca-file names cluster "${cluster}" twice: give one CA file per cluster (a bundle of several CA certificates in one PEM file is fine)`);
      seen.add(cluster);
      const api = apis.get(cluster);
      if (api === undefined || !api.startsWith('https://')) {
        return usage(`--kube-ca-file ${shown}: cluster "${cluster}" has ${api === undefined ? 'no --kube-api' : `--kube-api ${JSON.stringify(safeText(api, 120))}`}, and the CA is only for an https:// API server address (--kube-api ${cluster}=https://<host>:<port>); kubectl proxy is http, and eks:/aks: read the cluster CA from the cloud`);
      }
      kubeCaEntries.push({ cluster, file });
    }
  }
  // The credential of an https:// API server: a bearer token read from a file (--kube-token-file),
  // never a value on the command line. Each names a cluster whose --kube-api is https://, once;
  // an https:// API server without one is a wrong command (exit 2), never requests it refuses.
  const kubeTokenEntries: { cluster: string; file: string }[] = [];
  {
    const apis = byCluster(opts.kubeApi);
    const seen = new Set<string>();
    const example = fleet.clusters[0]?.name ?? 'ci';
    for (const entry of opts.kubeTokenFile ?? []) {
      const i = entry.indexOf('=');
      const cluster = i > 0 ? entry.slice(0, i) : '';
      const file = i > 0 ? entry.slice(i + 1) : '';
      const shown = JSON.stringify(entry.length > 120 ? `${entry.slice(0, 120)}…` : entry);
      if (i <= 0 || file === '') return usage(`--kube-token-file ${shown} is not <cluster>=<file>; for example ${example}=/path/to/token (a file holding the bearer token, never the token itself)`);
      if (seen.has(cluster)) return usage(`--kube-token-file names cluster "${cluster}" twice: give one token file per cluster`);
      seen.add(cluster);
      const api = apis.get(cluster);
      if (api === undefined || !api.startsWith('https://')) {
        return usage(`--kube-token-file ${shown}: cluster "${cluster}" has ${api === undefined ? 'no --kube-api' : `--kube-api ${JSON.stringify(safeText(api, 120))}`}, and a bearer token is sent only to an https:// API server address (--kube-api ${cluster}=https://<host>:<port>); kubectl proxy (http) adds the kubeconfig's credential itself, and eks:/aks: mint their own tokens`);
      }
      kubeTokenEntries.push({ cluster, file });
    }
    for (const [cluster, api] of apis) {
      if (!api.startsWith('https://') || seen.has(cluster)) continue;
      return usage(
        `--kube-api ${cluster}=${safeText(api, 120)} names an https:// API server but no credential for it (nothing would authenticate the requests): give --kube-token-file ${cluster}=<file>, a file holding a bearer token — \`kubectl create token <service account> -n <namespace> > token\`, the token of the user in your kubeconfig, or in a pod /var/run/secrets/kubernetes.io/serviceaccount/token — or reach it through \`kubectl proxy\` (--kube-api ${cluster}=http://127.0.0.1:8001), or use ${cluster}=eks:<name>@<region> or ${cluster}=aks:<name>@<resource group>`,
      );
    }
  }
  // Each duration option, checked before any call, in this order: the first one wrong is exit 2.
  const given = [['--if-expiring-within', opts.ifExpiringWithin], ['--timeout', opts.timeout], ['--wait', opts.wait]] as const;
  const durations = new Map<keyof typeof DURATION_RANGES, number>();
  for (const [name, value] of given) {
    if (value === undefined) continue;
    const r = durationArg(name, value);
    if ('problem' in r) return usage(r.problem);
    durations.set(name, r.ms);
  }
  const withinMs = durations.get('--if-expiring-within');
  const drainTarget = desired[0];
  const drainTimeout = durations.get('--timeout') ?? (drainTarget?.settings.maximum_timeout ?? 3600) * 1000;
  const confirmTimeout = durations.get('--wait') ?? 300_000;

  let token = world.env.RUNNER_FLEET_GITLAB_TOKEN ?? world.env.GITLAB_TOKEN;
  if (opts.tokenStdin) token = (await world.readStdin()).split(/\r?\n/)[0]?.trim();
  if (token === '') token = undefined;
  redactor.add(token);
  redactor.add(world.env.RUNNER_FLEET_KEYVAULT_TOKEN);
  const rotateWithoutToken = command === 'rotate';
  if (token === undefined && !rotateWithoutToken) {
    return usage('needs a GitLab access token in RUNNER_FLEET_GITLAB_TOKEN (or GITLAB_TOKEN), or on stdin with --token-stdin; never as an argument. Scopes: create_runner to create runners, manage_runner (or api) for the rest');
  }
  // An HTTP header carries visible ASCII only: any other character fails every request as a
  // "connection" error. Said here, with where it is and never what the token is.
  const unsendable = (from: string, value: string | undefined) => {
    const bad = value === undefined ? -1 : value.search(/[^\x21-\x7e]/);
    return bad === -1 ? undefined : `${from} has a character an HTTP header cannot carry (a space, control or non-ASCII character) at position ${bad + 1} of ${value!.length}: copy the token again (value not shown)`;
  };
  const badToken =
    unsendable(opts.tokenStdin ? 'the token on stdin' : world.env.RUNNER_FLEET_GITLAB_TOKEN !== undefined ? 'RUNNER_FLEET_GITLAB_TOKEN' : 'GITLAB_TOKEN', token) ??
    unsendable('RUNNER_FLEET_KEYVAULT_TOKEN', world.env.RUNNER_FLEET_KEYVAULT_TOKEN || undefined);
  if (badToken !== undefined) return usage(badToken);

  const progress = (line: string) => err(`… ${line}\n`);
  // The transport as asked (--ca-file, the proxy variables), checked before any request: a CA
  // bundle that cannot be read or a proxy variable that is no URL is a wrong command (exit 2).
  const http = await import('../live/http.js');
  const proxy = http.proxyProblem(world.env);
  if (proxy !== undefined) return usage(proxy);
  let ca: string | undefined;
  try {
    ca = opts.caFile !== undefined ? await http.readCaBundle(opts.caFile) : undefined;
  } catch (e) {
    if (e instanceof http.TransportSetupError) return usage(`--ca-file: ${e.message}`);
    throw e;
  }
  const kubeCas = new Map<string, { file: string; ca: string }>();
  for (const { cluster, file } of kubeCaEntries) {
    try {
      kubeCas.set(cluster, { file, ca: await http.readCaBundle(file) });
    } catch (e) {
      if (e instanceof http.TransportSetupError) return usage(`--kube-ca-file ${cluster}=…: ${e.message}`);
      throw e;
    }
  }
  const kubeTokens = new Map<string, () => Promise<string>>();
  for (const { cluster, file } of kubeTokenEntries) {
    const where = `--kube-token-file ${cluster}=${JSON.stringify(safeText(file, 200))}`;
    let first: string;
    try {
      first = await readTokenFile(file);
    } catch (e) {
      return usage(`${where}: cannot read the token file: ${errnoReason(e)}`);
    }
    redactor.add(first);
    if (first === '') return usage(`${where} holds no token (the file is empty): write the bearer token into it, e.g. \`kubectl create token <service account> -n <namespace> > token\``);
    const bad = unsendable(where, first);
    if (bad !== undefined) return usage(bad);
    // Read again for every request, as kubectl and client-go do: a projected service account token
    // is replaced by the kubelet before it expires. A read that fails then keeps the last good token.
    let last = first;
    kubeTokens.set(cluster, async () => {
      const now = await readTokenFile(file).catch(() => '');
      if (now !== '' && unsendable(where, now) === undefined) {
        redactor.add(now);
        last = now;
      }
      return last;
    });
  }
  const fetchFn: FetchLike = world.fetch ?? (await http.makeFetch({ env: world.env, ...(ca !== undefined ? { ca } : {}) }));
  const gitlab = new GitLabClient({
    baseUrl: fleet.gitlabUrl,
    ...(token !== undefined ? { token } : {}),
    fetch: fetchFn,
    timing: world.timing,
    progress,
    ...(opts.caFile !== undefined ? { caFile: opts.caFile } : {}),
    ...(world.requestTimeoutMs !== undefined ? { timeoutMs: world.requestTimeoutMs } : {}),
    ...(world.callDeadlineMs !== undefined ? { deadlineMs: world.callDeadlineMs } : {}),
  });
  const openStore = world.store ? (d: DesiredRunner) => world.store!(d, opts) : await liveStoreFactory(opts, world, progress, kubeCas, kubeTokens, fleet.azure?.subscriptionId);
  // Every runner token read from a store or written to one is a secret the output must never
  // show, whatever its shape: an instance with its own token prefix has no glrt- to match, and
  // GitLab's error answers may quote the token they refuse.
  const makeStore = (d: DesiredRunner): TokenStore => watched(openStore(d), redactor);
  const stores = new Map<string, TokenStore>();
  const store = (d: DesiredRunner) => {
    let s = stores.get(d.name);
    if (!s) {
      s = makeStore(d);
      stores.set(d.name, s);
    }
    return s;
  };
  // register and rotate: the new tokens held only in this process (innermost last), and a signal held until they are stored.
  const held: Held[] = [];
  let heldSignal: 'SIGINT' | 'SIGTERM' | undefined;
  // Test only: RUNNER_FLEET_TEST_OPS_PAUSE=created|reset|stored pauses there (until a signal, or 30 s), as write.ts's hook does for synth.
  let wake: (() => void) | undefined;
  const pausePoint = world.env.RUNNER_FLEET_TEST_OPS_PAUSE;
  const pauseAt = pausePoint === 'created' || pausePoint === 'reset' || pausePoint === 'stored'
    ? async (point: 'created' | 'reset' | 'stored') => {
        if (point !== pausePoint) return;
        err(`runner-fleet ${command}: paused at ${point} (RUNNER_FLEET_TEST_OPS_PAUSE, a test hook)\n`);
        await new Promise<void>((resume) => {
          const timer = setTimeout(resume, 30_000);
          wake = () => {
            clearTimeout(timer);
            resume();
          };
        });
        wake = undefined;
      }
    : undefined;
  let interruptedAt: ((signal: 'SIGINT' | 'SIGTERM', h?: Held, stored?: boolean) => void) | undefined;
  const engine = new Engine({
    fleet: fleet.name,
    gitlab,
    store,
    timing: world.timing,
    progress,
    canManage: token !== undefined,
    ...(pauseAt ? { pauseAt } : {}),
    holding: (h) => {
      held.push(h);
      return () => {
        const i = held.indexOf(h);
        if (i >= 0) held.splice(i, 1);
        if (heldSignal !== undefined && held.length === 0) interruptedAt?.(heldSignal, h, h.stored === true);
      };
    },
  });

  /**
   * Applies with Ctrl-C and SIGTERM handled: held while a new token exists only in this process
   * (register, rotate) or while a deleted runner's token is still in its store (unregister,
   * prune), else at once; either way saying what is left (interruptedApply).
   */
  const holdingSignals = async (cmd: 'register' | 'rotate' | 'unregister' | 'prune', apply: () => Promise<StepResult[]>): Promise<StepResult[]> => {
    // Ctrl-C or SIGTERM: held while a new token exists only in this process, else at once (interruptedApply).
    const say = (signal: 'SIGINT' | 'SIGTERM', h?: Held, stored?: boolean) => {
      const said = interruptedApply(cmd, signal, specFile, opts.runner, { runner: h?.runner ?? engine.current?.runner ?? '', ...(engine.current?.id !== undefined && h === undefined ? { id: engine.current.id } : {}), ...(h ? { held: h, stored: stored === true } : {}) });
      err(said.text);
      if (opts.json) {
        const interrupted: OpsReport = { ...report, error: redactor.redact(said.text.replace(/^runner-fleet \w+: /, '').trim()), failedAt: 'apply', interrupted: said.interrupted, apiCalls: gitlab.totalCalls, exitCode: signal === 'SIGINT' ? 130 : 143 };
        out(`${JSON.stringify(interrupted, null, 2)}\n`);
      }
    };
    interruptedAt = (signal, h, stored) => {
      say(signal, h, stored);
      (world.exit ?? ((code: number) => process.exit(code)))(signal === 'SIGINT' ? 130 : 143);
    };
    const onSignal = (signal: 'SIGINT' | 'SIGTERM'): 'hold' | void => {
      const h = held[held.length - 1];
      if (h === undefined || heldSignal !== undefined) {
        // Nothing held, or a second signal while it is: stop now, saying what is left.
        say(signal, h, false);
        return;
      }
      heldSignal = signal;
      const which = `runner ${safeText(h.runner, 200)}${h.id !== undefined ? ` (#${h.id})` : ''}`;
      const now = cmd === 'unregister' || cmd === 'prune' ? `${which} is being deleted and its token store not yet emptied: emptying it first` : `a new token of ${which} exists only in this process: storing it first`;
      err(`runner-fleet ${cmd}: ${signalText(signal)} received while ${now}, then stopping (Ctrl-C or SIGTERM again stops at once, and leaves: ${h.left})\n`);
      wake?.();
      return 'hold';
    };
    const stop = world.onInterrupt?.(onSignal);
    try {
      return await apply();
    } finally {
      stop?.();
    }
  };
  const report: OpsReport = { command, fleet: fleet.name, gitlab: fleet.gitlabUrl, approved: opts.approve === true && MUTATING.has(command), plan: [], apiCalls: 0, exitCode: 0 };
  // Until GitLab and the token stores are read, there is no plan: a failure then is a failed read.
  let planned = false;
  try {
    switch (command) {
      case 'status': {
        const s = await engine.status(desired, { managers: opts.managers !== false, stores: opts.stores !== false, verifyTokens: opts.verifyTokens === true });
        report.runners = s.runners;
        report.phantoms = s.phantoms;
        const problems = s.runners.some((r) => r.drift.length > 0 || r.ids.length > 1 || !r.registered || r.detailsNotFound === true || (r.store !== undefined && r.store.state !== 'ok')) || s.phantoms.length > 0;
        // A store that refused the credential (401/403) is a wrong input, as in the other commands.
        report.exitCode = engine.accessRefused ? 2 : problems ? 1 : 0;
        planned = true;
        break;
      }
      case 'register':
      case 'rotate': {
        const byTerraform = desired.filter((d) => d.registration === 'terraform').map((d) => d.name);
        if (byTerraform.length > 0) report.leftToTerraform = byTerraform;
        report.plan = command === 'register' ? await engine.planRegister(desired) : await engine.planRotate(desired, withinMs !== undefined ? { ifExpiringWithinMs: withinMs } : {});
        planned = true;
        if (!report.approved) break;
        const plan = report.plan;
        report.results = await holdingSignals(command, () => (command === 'register' ? engine.applyRegister(desired, plan) : engine.applyRotate(desired, plan, { confirmTimeoutMs: token === undefined ? 0 : confirmTimeout })));
        break;
      }
      case 'drain':
      case 'resume':
        report.plan = await engine.planDrain(desired, opts.runner!, command === 'resume');
        planned = true;
        if (report.approved) {
          // Ctrl-C while drain waits says what it leaves: the runner paused, and how to resume it.
          const paused = report.plan.filter((s) => s.action === 'pause').map((s) => s.id!);
          const onSignal = (signal: 'SIGINT' | 'SIGTERM') => {
            const said = interruptedDrain(signal, specFile, opts.runner!, paused);
            err(said);
            // --json: the one report of the run, saying it was interrupted (the process ends right after).
            if (opts.json) {
              const interrupted: OpsReport = { ...report, error: redactor.redact(said.replace(/^runner-fleet drain: /, '').trim()), failedAt: 'apply', interrupted: { signal, runner: opts.runner!, ids: paused, paused: true, resume: resumeCommand(specFile, opts.runner!) }, apiCalls: gitlab.totalCalls, exitCode: signal === 'SIGINT' ? 130 : 143 };
              out(`${JSON.stringify(interrupted, null, 2)}\n`);
            }
          };
          const stop = command === 'drain' && paused.length > 0 ? world.onInterrupt?.(onSignal) : undefined;
          try {
            report.results = await engine.applyDrain(desired, report.plan, { timeoutMs: drainTimeout });
          } finally {
            stop?.();
          }
        }
        break;
      case 'prune':
        report.plan = await engine.planPrune(desiredRunners(fleet));
        planned = true;
        if (report.approved) {
          const plan = report.plan;
          report.results = await holdingSignals('prune', () => engine.applyPrune(desiredRunners(fleet), plan));
        }
        break;
      case 'unregister':
        report.plan = await engine.planUnregister(desired, opts.runner!);
        planned = true;
        if (report.approved) {
          const plan = report.plan;
          report.results = await holdingSignals('unregister', () => engine.applyUnregister(desired, plan));
        }
        break;
      default: {
        const never: never = command;
        throw new Error(`internal: ${String(never)}`);
      }
    }
    // A store that holds another fleet's token is never written: the plan says so, --approve
    // refuses that runner's steps, and the run ends 1 (needs a person) with or without --approve.
    // A refused credential (401/403) is a wrong input: 2.
    if (report.results?.some((r) => r.outcome === 'failed') || report.plan?.some((s) => s.action === 'conflict')) report.exitCode = engine.accessRefused ? 2 : 1;
  } catch (e) {
    if (e instanceof TypeError || e instanceof ReferenceError || e instanceof RangeError || e instanceof SyntaxError) {
      err(`runner-fleet: internal error: ${e.message}\nPlease report this with the spec that caused it.\n`);
      if (opts.json) {
        delete report.plan;
        delete report.results;
        out(`${JSON.stringify({ ...report, error: redactor.redact(`internal error: ${e.message}`), failedAt: planned ? 'apply' : 'read', apiCalls: gitlab.totalCalls, exitCode: 70 }, null, 2)}\n`);
      }
      return 70;
    }
    report.error = e instanceof Error ? e.message : String(e);
    report.failedAt = planned ? 'apply' : 'read';
    if (!planned) delete report.plan;
    // A refused credential (GitLab 401/403, Kubernetes RBAC, Key Vault) is a wrong input, not drift.
    report.exitCode = isAccessRefused(e) ? 2 : 1;
  }
  report.apiCalls = gitlab.totalCalls;
  if (report.error !== undefined) report.error = redactor.redact(report.error);
  if (opts.json) out(`${JSON.stringify(report, null, 2)}\n`);
  else out(text(report));
  return report.exitCode;
}

/** A store whose tokens, read or written, the redactor learns before anything can print them. */
function watched(store: TokenStore, redactor: Redactor): TokenStore {
  return {
    get label() {
      return store.label;
    },
    async read() {
      const stored = await store.read();
      redactor.add(stored?.token);
      return stored;
    },
    async write(value) {
      redactor.add(value.token);
      return store.write(value);
    },
    clear: () => store.clear(),
    restartManager: () => store.restartManager(),
    markRestarted: (value) => store.markRestarted(value),
    managerDeployed: () => (store.managerDeployed ? store.managerDeployed() : Promise.resolve(undefined)),
  };
}
