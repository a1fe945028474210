import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { doctorTexts, placeOf, plainManager } from './helpers/doctor.js';

/**
 * Issue 34e. RF911 says a party with no cloud identity of its own gets its node's role. Where nothing
 * in the files names the cloud the cluster runs in (no cloud's Terraform, IAM role, role annotation,
 * cloud API object, node label, ARN, cloud storage), that is a guess: RF903 (info) says so and what
 * would decide it. OpenShift's Infrastructure object names the platform: a cloud keeps RF911, a
 * platform with no instance identity (BareMetal, VSphere) has no node role to get.
 */

const codes = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const noCloud = (r: DoctorResult) => codes(r, 'RF903').filter((f) => f.message.includes('Nothing in the files names the cloud'));

/** The manager in namespace ci with a jobs' ServiceAccount beside its own; `extraPod`: lines of its pod spec. */
const manager = (extraPod = '') => plainManager({ namespace: 'ci', moreServiceAccounts: ['jobs'], podSpec: extraPod }).text;
const MANAGER = manager();

const infrastructure = (platform: string) => `apiVersion: config.openshift.io/v1
kind: Infrastructure
metadata:
  name: cluster
spec:
  platformSpec:
    type: ${platform}
status:
  platform: ${platform}
  platformStatus:
    type: ${platform}
`;

describe('a manager with no cloud identity where nothing in the files names a cloud', () => {
  it('plain Kubernetes manifests: RF903 at the manager saying the node role is not known, not RF911', () => {
    const r = doctorTexts({ 'k8s.yaml': MANAGER });
    expect(codes(r, 'RF911')).toEqual([]);
    const said = noCloud(r);
    expect(said.map((f) => f.path)).toEqual([placeOf('k8s.yaml', MANAGER, 'apiVersion: apps/v1')]);
    expect(said[0]!.message).toMatch(/^the manager ci\/gitlab-runner has no cloud identity of its own/);
    expect(said[0]!.message).toContain('there is no node role to get');
    expect(said[0]!.severity).toBe('info');
  });

  const clouds: [string, Record<string, string>][] = [
    ['a node selector of an EKS node group', { 'k8s.yaml': manager('      nodeSelector:\n        eks.amazonaws.com/nodegroup: ci\n') }],
    ['a node selector of an AKS agent pool', { 'k8s.yaml': manager('      nodeSelector:\n        kubernetes.azure.com/agentpool: ci\n') }],
    ['a StorageClass of the EBS CSI driver', { 'k8s.yaml': MANAGER, 'sc.yaml': 'apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: gp3\nprovisioner: ebs.csi.aws.com\n' }],
    ['an S3 cache with no ServerAddress (AWS S3)', { 'k8s.yaml': MANAGER.replace('        image = "alpine:3.22"\n', '        image = "alpine:3.22"\n      [runners.cache]\n        Type = "s3"\n        [runners.cache.s3]\n          BucketName = "runner-cache"\n') }],
    ['an AWS Terraform resource', { 'k8s.yaml': MANAGER, 'main.tf': 'resource "aws_s3_bucket" "cache" {\n  bucket = "runner-cache"\n}\n' }],
    ['an OpenShift Infrastructure on AWS', { 'k8s.yaml': MANAGER, 'infra.yaml': infrastructure('AWS') }],
    ['an OpenShift Infrastructure on Azure', { 'k8s.yaml': MANAGER, 'infra.yaml': infrastructure('Azure') }],
  ];
  for (const [what, files] of clouds) {
    it(`twin: ${what} names the cloud, so RF911 as before`, () => {
      const r = doctorTexts(files);
      expect(codes(r, 'RF911').filter((f) => f.message.startsWith('the manager ci/gitlab-runner'))).toHaveLength(1);
      expect(noCloud(r)).toEqual([]);
      expect(codes(r, 'RF903').filter((f) => f.message.includes('there is no node role to get'))).toEqual([]);
    });
  }

  it('an S3 cache on a server of its own (MinIO) names no cloud: RF903', () => {
    const minio = MANAGER.replace('        image = "alpine:3.22"\n', '        image = "alpine:3.22"\n      [runners.cache]\n        Type = "s3"\n        [runners.cache.s3]\n          ServerAddress = "minio.ci.svc:9000"\n          BucketName = "runner-cache"\n');
    const r = doctorTexts({ 'k8s.yaml': minio });
    expect(codes(r, 'RF911')).toEqual([]);
    expect(noCloud(r)).toHaveLength(1);
  });

  it('an OpenShift Infrastructure on bare metal or vSphere: no node role to get, so neither RF911 nor RF903 for it', () => {
    for (const platform of ['BareMetal', 'VSphere']) {
      const r = doctorTexts({ 'k8s.yaml': MANAGER, 'infra.yaml': infrastructure(platform) });
      expect(codes(r, 'RF911')).toEqual([]);
      expect(codes(r, 'RF903').filter((f) => f.message.includes('no cloud identity of its own'))).toEqual([]);
    }
  });

  it('an OpenShift Infrastructure of platform None (any hosts): not decided, RF903 naming it as OpenShift\'s', () => {
    const r = doctorTexts({ 'k8s.yaml': MANAGER, 'infra.yaml': infrastructure('None') });
    expect(codes(r, 'RF911')).toEqual([]);
    const said = codes(r, 'RF903').filter((f) => f.message.includes("The deployment is OpenShift's"));
    expect(said).toHaveLength(1);
    expect(said[0]!.message).toContain('Infrastructure cluster (config.openshift.io/v1) at infra.yaml:1:1');
  });
});
