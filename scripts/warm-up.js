// The build's warm-up (scripts/bundle.js): a fresh node loads the bundled CLI through the bin, plans
// every example with it and saves V8's code cache for it. It is also the first run of the bundle: a
// crash there (an exception, or a command ending in exit 70, "internal error") is a bundle the
// sources do not show (test/bundle-parity.test.ts compares them), and the build fails with the exit
// code and what the run printed, instead of shipping it.
//
// The code cache is made by a fresh node with default flags and the bin's tiering, as every start
// runs (V8 refuses a cache made under other flags), after the CLI planned every example, so it
// holds the compiled code of the whole pipeline and not only of the functions that run at load.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

/** Exit codes of a working CLI over an example: 0 fine, 1 the fleet has error findings. */
const ANSWERS = [0, 1];

/**
 * Runs the warm-up in `cwd` (which holds bin/runner-fleet.cjs, dist/cli-start/ and examples/) for
 * the bundle of build `id`. Returns undefined when the cache is written, else what went wrong (the
 * cache files are removed then).
 */
export function warmUp({ id, cwd = process.cwd(), env = process.env }) {
  const bin = join(cwd, 'bin', 'runner-fleet.cjs');
  const warm = `
const { writeFileSync, readdirSync } = require('node:fs');
const { load, dir, HEAD } = require(${JSON.stringify(bin)});
const { cli, script } = load({ codeCache: false });
(async () => {
  const examples = readdirSync('examples').filter((f) => f.endsWith('.yaml'));
  if (examples.length === 0) throw new Error('no examples/*.yaml to plan');
  const runs = [...examples.map((f) => ['plan', 'examples/' + f, '--json']), ['plan', 'examples/' + examples[0]]];
  for (const argv of runs) {
    const printed = [];
    const io = { out(s) { printed.push(s); }, err(s) { printed.push(s); } };
    const code = await cli.main(argv, io);
    if (!${JSON.stringify(ANSWERS)}.includes(code)) {
      // What the command printed (a --json report holds its error): the examples hold no secrets.
      const text = printed.join('\\n');
      throw Object.assign(new Error('runner-fleet ' + argv.join(' ') + ' ended with exit code ' + code + ' in the bundled CLI:\\n' + (text.length > 2000 ? text.slice(0, 2000) + '…' : text)), { answered: true });
    }
  }
  const data = script.createCachedData();
  const head = (${JSON.stringify(id)} + ' ' + require('node:crypto').createHash('sha256').update(data).digest('hex')).padEnd(HEAD - 1) + '\\n';
  if (head.length !== HEAD) throw new Error('cache header of ' + head.length + ' bytes');
  // Written whole and renamed, so that no start reads a half-written cache.
  const path = require('node:path').join(dir, 'runner-fleet.cache');
  writeFileSync(path + '.tmp', Buffer.concat([Buffer.from(head, 'latin1'), data]));
  require('node:fs').renameSync(path + '.tmp', path);
})().catch((e) => { console.error(e && e.answered ? e.message : (e && e.stack) || e); process.exit(1); });
`;
  const own = { ...env };
  delete own.RUNNER_FLEET_DEFAULT_JIT;
  const r = spawnSync(process.execPath, ['-e', warm], { encoding: 'utf8', env: own, cwd });
  if (r.status === 0 && !r.error) return undefined;
  const dir = join(cwd, 'dist', 'cli-start');
  rmSync(join(dir, 'runner-fleet.cache'), { force: true });
  rmSync(join(dir, 'runner-fleet.cache.tmp'), { force: true });
  const how = r.error ? `could not start (${r.error.message})` : r.signal ? `was killed by ${r.signal}` : `ended with exit code ${r.status}`;
  const stderr = (r.stderr ?? '').trim();
  return `the warm-up run of the bundled CLI (${join('dist', 'cli-start', 'runner-fleet.js')} planning examples/*.yaml) ${how}, so the build fails. Its stderr:\n${stderr === '' ? '(empty)' : stderr}\nFix the bundle (npx vitest run test/bundle-parity.test.ts compares it with the sources), then run npm run build again.`;
}
