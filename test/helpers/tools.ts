import { spawn, spawnSync } from 'node:child_process';
import { existsSync, appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { ROOT } from './fleet.js';

/** Where the checks that need real tools say whether they ran. `.ci/run` prints this file. */
const SUMMARY = join(ROOT, 'test-results', 'conformance.txt');

export function report(line: string): void {
  console.log(line);
  mkdirSync(join(ROOT, 'test-results'), { recursive: true });
  appendFileSync(SUMMARY, `${line}\n`);
}

export function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** Where `kubectl kustomize` runs here: kubectl's path, or why not (for a `SKIPPED:` line and skipIf). */
export function kubectlKustomize(): { kubectl: string | undefined; skip: string | undefined } {
  const kubectl = which('kubectl');
  const usable = kubectl !== undefined && spawnSync(kubectl, ['kustomize', '--help'], { encoding: 'utf8' }).status === 0;
  return { kubectl, skip: !kubectl ? 'kubectl is not on PATH' : !usable ? 'kubectl has no kustomize subcommand' : undefined };
}

/** `files` (path → text) written under a new temporary folder named with `prefix`, which is added to `made` for the caller to remove. */
export function writtenTree(prefix: string, files: Record<string, string>, made: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  for (const [p, t] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), t);
  }
  return dir;
}

/** The local provider mirror: RUNNER_FLEET_TF_PLUGIN_DIR, or the image's /opt/tf-plugins. */
export function awsProviderMirror(): string | undefined {
  for (const dir of [process.env.RUNNER_FLEET_TF_PLUGIN_DIR, '/opt/tf-plugins']) {
    if (dir && existsSync(join(dir, 'registry.terraform.io', 'hashicorp', 'aws'))) return dir;
  }
  return undefined;
}

/** Environment for terraform: no CLI config file, no update checks, no prompts. */
export function terraformEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', TF_INPUT: '0' };
  delete env.TF_CLI_CONFIG_FILE;
  return env;
}

export interface Result {
  code: number | null;
  out: string;
}

export function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = terraformEnv()): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('close', (code) => resolve({ code, out }));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts moto_server on a loopback port and waits until it answers (bounded wait). `env` is added to
 * the environment (MOTO_ACCOUNT_ID, MOTO_IAM_LOAD_MANAGED_POLICIES, …). Every test that needs the
 * emulator starts it here.
 */
export async function startMoto(bin: string, env: NodeJS.ProcessEnv = {}): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const child = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore', env: { ...process.env, ...env } });
  const url = `http://127.0.0.1:${port}`;
  // Bounded, but generous: six emulators start at once on a loaded 2-core machine.
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const r = await fetch(`${url}/moto-api/`);
      if (r.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`moto_server did not start on ${url} within 120 s`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, stop: () => child.kill() };
}
