import { build } from 'esbuild';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/fleet.js';
import { PLATFORMS } from '../src/platforms/registry.js';
import { CACHE_BACKENDS } from '../src/caches/registry.js';
import { READER_TYPES, cacheReaderOf, kubernetesReaders, platformReadersOf } from '../src/doctor/platform-readers.js';

/**
 * `plan` loads nothing of the doctor. The CLI script every start compiles (dist/cli-start/runner-fleet.js,
 * scripts/bundle.js) holds what src/cli/main.ts loads, by static import or import(), except the
 * doctor's and the operations' parts (src/cli/doctor.ts, src/cli/ops.ts), which the bin loads when
 * their command runs. The doctor's readers are registered in src/doctor/platform-readers.ts, not on
 * the platform plugins and cache backends that plan loads, so none of their code is in that script.
 */

/** A module of the doctor: under src/doctor/, or a platform's or cache backend's reader (src/platforms/<name>/doctor.ts, src/caches/<name>/doctor.ts). */
const DOCTOR_MODULE = /^src\/(?:doctor\/|(?:platforms|caches)\/[^/]+\/doctor\.ts$)/;
const PARTS = new Set(['src/cli/doctor.ts', 'src/cli/ops.ts'].map((p) => resolve(ROOT, p)));

/** The src/ modules a bundle of `entry` holds, the parts left out as scripts/bundle.js leaves them (its plugin `partsLoadLater`). */
async function modulesOf(entry: string): Promise<string[]> {
  const r = await build({
    entryPoints: [entry],
    absWorkingDir: ROOT,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    outdir: 'out',
    packages: 'external',
    logLevel: 'silent',
    plugins: [
      {
        name: 'parts-load-later',
        setup(b) {
          b.onResolve({ filter: /^\.\.?\/.*\.js$/ }, (args) => (PARTS.has(resolve(args.resolveDir, args.path).replace(/\.js$/, '.ts')) ? { path: args.path, external: true } : undefined));
        },
      },
    ],
  });
  return Object.keys(r.metafile.inputs).filter((p) => p.startsWith('src/')).sort();
}

describe('plan without the doctor', () => {
  it("the CLI script's modules (src/cli/main.ts without its parts) hold no src/doctor/ module and no platform or cache doctor reader", async () => {
    const modules = await modulesOf('src/cli/main.ts');
    // The pipeline and every platform plugin are there.
    expect(modules).toContain('src/platforms/registry.ts');
    for (const p of ['eks', 'aks', 'ec2-docker', 'ecs-fargate', 'ec2-autoscaler']) expect(modules).toContain(`src/platforms/${p}/index.ts`);
    expect(modules.filter((m) => DOCTOR_MODULE.test(m))).toEqual([]);
  });

  it('nor does the library (src/index.ts)', async () => {
    const modules = await modulesOf('src/index.ts');
    expect(modules).toContain('src/caches/registry.ts');
    expect(modules.filter((m) => DOCTOR_MODULE.test(m))).toEqual([]);
  });

  it('the doctor part reaches every reader, through its registry', async () => {
    const modules = await modulesOf('src/cli/doctor.ts');
    for (const m of ['src/doctor/platform-readers.ts', 'src/platforms/eks/doctor.ts', 'src/platforms/aks/doctor.ts', 'src/platforms/ec2-docker/doctor.ts', 'src/platforms/ecs-fargate/doctor.ts', 'src/platforms/ec2-autoscaler/doctor.ts', 'src/caches/s3/doctor.ts', 'src/caches/azure-blob/doctor.ts']) expect(modules).toContain(m);
  });
});

describe("the doctor's registry of readers (src/doctor/platform-readers.ts)", () => {
  it('names only registered platforms and cache backends, and has a reader for each of them', () => {
    expect([...READER_TYPES.platforms].sort()).toEqual(PLATFORMS.map((p) => p.type).sort());
    expect([...READER_TYPES.caches].sort()).toEqual(CACHE_BACKENDS.map((c) => c.type).sort());
  });

  it('a Kubernetes platform has a binding reader, a VM platform a compute reader, each for its executors', () => {
    expect(PLATFORMS.map((p) => [p.type, platformReadersOf(p.type).doctor !== undefined, platformReadersOf(p.type).computeDoctor?.executors ?? []])).toEqual([
      ['eks', true, []],
      ['aks', true, []],
      ['ec2-docker', false, ['docker']],
      ['ecs-fargate', false, ['custom']],
      ['ec2-autoscaler', false, ['docker-autoscaler']],
    ]);
    expect(kubernetesReaders().map((r) => [r.type, r.cloud])).toEqual([
      ['eks', 'aws'],
      ['aks', 'azure'],
    ]);
  });

  it('an unknown type has no reader (the doctor does not infer it), and is not taken from the prototype', () => {
    expect(platformReadersOf('gke')).toEqual({});
    expect(platformReadersOf('constructor')).toEqual({});
    expect(cacheReaderOf('gcs')).toBeUndefined();
    expect(cacheReaderOf('toString')).toBeUndefined();
  });
});
