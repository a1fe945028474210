import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { doctorTexts, openShiftInfrastructure, placeOf, plainManager } from './helpers/doctor.js';

/**
 * Issue 35c. Which files count as naming a cloud for RF911 ("it runs with the node's role"): only
 * AWS's and Azure's identities are in scope (DESIGN.md). A Terraform resource of OpenStack (or any
 * provider of no instance identity) says nothing of a node role: RF903, as on bare metal. A cloud of
 * another IAM (GCP, IBM Cloud, Alibaba Cloud) is named as such: RF903, never RF911 with an AWS fix.
 */

const codes = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);
const managerRf = (r: DoctorResult, code: string) => codes(r, code).filter((f) => f.message.startsWith('the manager ci/gitlab-runner has no cloud identity of its own'));

// The plain manager of test/helpers/doctor.ts in namespace ci (its ServiceAccount, config.toml ConfigMap and Deployment).
const MANAGER = plainManager({ namespace: 'ci' }).text;

const tf = (type: string) => `resource "${type}" "node" {\n  name = "ci-node"\n}\n`;
const infrastructure = openShiftInfrastructure;

describe('which clouds count for the node role (RF911)', () => {
  for (const type of ['openstack_compute_instance_v2', 'vsphere_virtual_machine', 'cloudflare_record']) {
    it(`a Terraform ${type} names no AWS or Azure node: RF903 "nothing names the cloud", as on bare metal, not RF911`, () => {
      const r = doctorTexts({ 'k8s.yaml': MANAGER, 'main.tf': tf(type) });
      expect(managerRf(r, 'RF911')).toEqual([]);
      const said = managerRf(r, 'RF903');
      expect(said.map((f) => f.path)).toEqual([placeOf('k8s.yaml', MANAGER, 'apiVersion: apps/v1')]);
      expect(said[0]!.message).toContain('Nothing in the files names the cloud');
      expect(said[0]!.severity).toBe('info');
    });
  }

  it('twin: a Terraform azurerm resource names Azure: RF911 as before', () => {
    const r = doctorTexts({ 'k8s.yaml': MANAGER, 'main.tf': tf('azurerm_kubernetes_cluster') });
    expect(managerRf(r, 'RF911')).toHaveLength(1);
    expect(managerRf(r, 'RF903')).toEqual([]);
  });

  const elsewhere: [string, Record<string, string>, string][] = [
    ['a Terraform google_container_cluster', { 'k8s.yaml': MANAGER, 'main.tf': tf('google_container_cluster') }, 'google_container_cluster.node at main.tf:1:1'],
    ['a GKE node pool selector', { 'k8s.yaml': MANAGER.replace('      containers:', '      nodeSelector:\n        cloud.google.com/gke-nodepool: ci\n      containers:') }, 'Deployment gitlab-runner at k8s.yaml:'],
    ['an OpenShift Infrastructure on GCP', { 'k8s.yaml': MANAGER, 'infra.yaml': infrastructure('GCP') }, 'Infrastructure cluster (config.openshift.io/v1) at infra.yaml:1:1, platform GCP'],
    ['an OpenShift Infrastructure on IBM Cloud', { 'k8s.yaml': MANAGER, 'infra.yaml': infrastructure('IBMCloud') }, 'platform IBMCloud'],
  ];
  for (const [what, files, named] of elsewhere) {
    it(`${what}: a cloud of another IAM, RF903 naming it, not RF911 with an AWS fix`, () => {
      const r = doctorTexts(files);
      expect(managerRf(r, 'RF911')).toEqual([]);
      const said = managerRf(r, 'RF903');
      expect(said).toHaveLength(1);
      expect(said[0]!.message).toContain("a cloud whose instance identity is not AWS's or Azure's");
      expect(said[0]!.message).toContain(named);
      expect(said[0]!.fix).not.toMatch(/IRSA|Pod Identity/);
    });
  }

  it('an AWS name beside a GCP one: AWS is in scope, RF911', () => {
    const r = doctorTexts({ 'k8s.yaml': MANAGER, 'main.tf': `${tf('google_container_cluster')}${tf('aws_s3_bucket')}` });
    expect(managerRf(r, 'RF911')).toHaveLength(1);
  });

  it('an OpenShift Infrastructure on OpenStack: no node identity, nothing said for it', () => {
    const r = doctorTexts({ 'k8s.yaml': MANAGER, 'infra.yaml': infrastructure('OpenStack') });
    expect(managerRf(r, 'RF911')).toEqual([]);
    expect(managerRf(r, 'RF903')).toEqual([]);
  });
});
