// The build's warm-up (scripts/bundle.js): a fresh node loads the bundled CLI through the bin, plans
// every example with it and saves V8's code cache for it; then it runs `doctor` and an operations
// command, which load their parts (runner-fleet-doctor.js, runner-fleet-ops.js), and saves each
// part's cache. It is also the first run of the scripts: a crash there (an exception, or a command
// ending in exit 70, "internal error") is a bundle the sources do not show
// (test/bundle-parity.test.ts compares them), and the build fails with the exit code and what the
// run printed, instead of shipping it.
//
// The code caches are made by a fresh node with default flags and the bin's tiering, as every start
// runs (V8 refuses a cache made under other flags), after the commands ran, so they hold the
// compiled code of the whole pipeline and not only of the functions that run at load.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

/** Exit codes of a working CLI over an example: 0 fine, 1 the fleet has error findings. */
const ANSWERS = [0, 1];

/**
 * Runs the warm-up in `cwd` (which holds bin/runner-fleet.cjs, dist/cli-start/ and examples/) for
 * the CLI script of build `id` and its parts (`parts`: name → build id, scripts/bundle.js). Returns
 * undefined when the caches are written, else what went wrong (the cache files are removed then).
 *
 * The CLI script's cache is made right after the plans, as before the parts existed, so that it
 * holds what a `plan` runs and no more. Then the synth of every example into a temporary folder
 * and a `doctor` over those files warm the doctor's part (its readers of Terraform, Kubernetes YAML,
 * Helm values and config.toml); `status` without a GitLab token (exit 2, nothing sent) loads the
 * operations part.
 */
export function warmUp({ id, parts = {}, cwd = process.cwd(), env = process.env }) {
  const bin = join(cwd, 'bin', 'runner-fleet.cjs');
  const warm = `
const { writeFileSync, readdirSync, mkdtempSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const { load, dir, HEAD } = require(${JSON.stringify(bin)});
const { cli, script, parts } = load({ codeCache: false });
const run = async (argv, answers) => {
  const printed = [];
  const io = { out(s) { printed.push(s); }, err(s) { printed.push(s); } };
  const code = await cli.main(argv, io);
  if (!answers.includes(code)) {
    // What the command printed (a --json report holds its error): the examples hold no secrets.
    const text = printed.join('\\n');
    throw Object.assign(new Error('runner-fleet ' + argv.join(' ') + ' ended with exit code ' + code + ' in the bundled CLI:\\n' + (text.length > 2000 ? text.slice(0, 2000) + '…' : text)), { answered: true });
  }
};
// Written whole and renamed, so that no start reads a half-written cache.
const save = (base, buildId, s) => {
  const data = s.createCachedData();
  const head = (buildId + ' ' + require('node:crypto').createHash('sha256').update(data).digest('hex')).padEnd(HEAD - 1) + '\\n';
  if (head.length !== HEAD) throw new Error('cache header of ' + head.length + ' bytes');
  const path = join(dir, base + '.cache');
  writeFileSync(path + '.tmp', Buffer.concat([Buffer.from(head, 'latin1'), data]));
  require('node:fs').renameSync(path + '.tmp', path);
};
const partIds = ${JSON.stringify(parts)};
(async () => {
  const examples = readdirSync('examples').filter((f) => f.endsWith('.yaml'));
  if (examples.length === 0) throw new Error('no examples/*.yaml to plan');
  for (const f of examples) await run(['plan', 'examples/' + f, '--json'], ${JSON.stringify(ANSWERS)});
  await run(['plan', 'examples/' + examples[0]], ${JSON.stringify(ANSWERS)});
  save('runner-fleet', ${JSON.stringify(id)}, script);
  if (partIds.doctor) {
    const out = mkdtempSync(join(require('node:os').tmpdir(), 'runner-fleet-warm-up-'));
    try {
      for (const f of examples) await run(['synth', 'examples/' + f, '--out', join(out, f.replace(/\\.yaml$/, ''))], ${JSON.stringify(ANSWERS)});
      await run(['doctor', out], ${JSON.stringify(ANSWERS)});
      await run(['doctor', join(out, examples[0].replace(/\\.yaml$/, '')), '--format', 'sarif'], ${JSON.stringify(ANSWERS)});
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }
  // No GitLab token in its environment: the command stops before it sends anything.
  if (partIds.ops) await run(['status', 'examples/' + examples[0]], [2]);
  for (const [name, buildId] of Object.entries(partIds)) {
    const p = parts.get(name);
    if (!p) throw new Error('the warm-up did not load the ' + name + ' part');
    save('runner-fleet-' + name, buildId, p.script);
  }
})().catch((e) => { console.error(e && e.answered ? e.message : (e && e.stack) || e); process.exit(1); });
`;
  const own = { ...env };
  delete own.RUNNER_FLEET_DEFAULT_JIT;
  delete own.RUNNER_FLEET_DEBUG_START;
  delete own.RUNNER_FLEET_GITLAB_TOKEN;
  delete own.GITLAB_TOKEN;
  const r = spawnSync(process.execPath, ['-e', warm], { encoding: 'utf8', env: own, cwd });
  if (r.status === 0 && !r.error) return undefined;
  const dir = join(cwd, 'dist', 'cli-start');
  for (const base of ['runner-fleet', ...Object.keys(parts).map((name) => `runner-fleet-${name}`)]) {
    rmSync(join(dir, `${base}.cache`), { force: true });
    rmSync(join(dir, `${base}.cache.tmp`), { force: true });
  }
  const how = r.error ? `could not start (${r.error.message})` : r.signal ? `was killed by ${r.signal}` : `ended with exit code ${r.status}`;
  const stderr = (r.stderr ?? '').trim();
  return `the warm-up run of the bundled CLI (${join('dist', 'cli-start', 'runner-fleet*.js')} over examples/*.yaml) ${how}, so the build fails. Its stderr:\n${stderr === '' ? '(empty)' : stderr}\nFix the bundle (npx vitest run test/bundle-parity.test.ts compares it with the sources), then run npm run build again.`;
}
