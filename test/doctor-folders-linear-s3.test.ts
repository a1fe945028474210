import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { corpusFiles } from './helpers/doctor.js';
import { countWork } from './helpers/work-count.js';

/**
 * The doctor over many docker-autoscaler deployments given together, each in its own folder with its
 * own cache bucket and bucket policy (bench/doctor-folders.js ec2-autoscaler). What grew with the
 * square (stop 55): each runner's cache read scanned every bucket policy of the roots for the VPC
 * endpoints of its bucket (s3/doctor.ts vpcEndpointsOf), and each cache proof every bucket policy,
 * public access block, lifecycle and encryption configuration for those of its bucket (s3/index.ts).
 * Counted, not timed (test/helpers/work-count.ts): the object listings alone, as those scans are
 * listings of a resource type that the rest of the work would drown at these sizes.
 */
const one = corpusFiles(fileURLToPath(new URL('./doctor/corpus/ec2-autoscaler-hand-written', import.meta.url)));
const dec = new TextDecoder();
const enc = new TextEncoder();
// Each folder names its resources apart (`gitlab-` becomes `gitlab-<n>-`), as one module applied per environment does.
const folders = (n: number): InputFile[] => Array.from({ length: n }, (_, i) => one.map((f) => ({ path: `deployment-${i + 1}/${f.path}`, bytes: enc.encode(dec.decode(f.bytes).replace(/gitlab-/g, (m) => `${m}${i + 1}-`)) }))).flat();
const counted = (files: InputFile[], chains: number): number => countWork(() => expect(doctor(files).chains.size).toBe(chains), { listingsOnly: true });

describe('the doctor over N folders of one docker-autoscaler deployment with its cache bucket', () => {
  it('finds in each folder what it finds alone', () => {
    const codes = (files: InputFile[]) => doctor(files).findings.map((x) => `${x.code} ${x.path.replace(/^deployment-\d+\//, '')}`).sort();
    const alone = codes(folders(1));
    expect(codes(folders(3))).toEqual([...alone, ...alone, ...alone].sort());
  });

  it('4x the folders, at most ~4x the resources listed (32 → 128: ~4.0x; the scans per bucket made it ~4.5x)', () => {
    const small = counted(folders(32), 32);
    const big = counted(folders(128), 128);
    expect(big / small, `${small} for 32 folders, ${big} for 128`).toBeLessThan(4.25);
  });
});
