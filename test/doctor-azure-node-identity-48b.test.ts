import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { doctorTexts, openShiftInfrastructure, placeOf, plainManager } from './helpers/doctor.js';

/**
 * Issue 48b (found on a public AKS deployment: a helm_release of the chart beside a `provider
 * "azurerm"` block). A provider "azurerm" block names Azure as a provider "aws" block names AWS, so a
 * manager with no identity of its own is RF911, not RF903 "nothing names the cloud". Where what names
 * the cloud names Azure alone, RF911 says what an AKS pod gets (the node's managed identity, the
 * kubelet identity, through the instance metadata endpoint) and gives Azure's fix (Workload
 * Identity), not IRSA or Pod Identity.
 */

const MANAGER = plainManager({ namespace: 'ci' }).text;
const rf = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code && f.message.startsWith('the manager ci/gitlab-runner has no cloud identity of its own'));

const AZURERM_PROVIDER = 'provider "azurerm" {\n  features {}\n}\n';
const resource = (type: string) => `resource "${type}" "node" {\n  name = "ci-node"\n}\n`;
const infrastructure = openShiftInfrastructure;

describe('the node identity of a manager on Azure (RF911, 48b)', () => {
  it('a provider "azurerm" block names Azure: RF911 with the managed identity and Workload Identity, not RF903', () => {
    const r = doctorTexts({ 'k8s.yaml': MANAGER, 'providers.tf': AZURERM_PROVIDER });
    expect(rf(r, 'RF903')).toEqual([]);
    const said = rf(r, 'RF911');
    expect(said.map((f) => f.path)).toEqual([placeOf('k8s.yaml', MANAGER, 'apiVersion: apps/v1')]);
    expect(said[0]!.message).toContain("so it runs with the node's managed identity (the kubelet identity of its VM scale set");
    expect(said[0]!.fix).toContain('azure.workload.identity/client-id');
    expect(said[0]!.fix).not.toMatch(/IRSA|Pod Identity/);
  });

  it('twin: a provider block of no AWS or Azure cloud (kubernetes) names none: RF903 as before', () => {
    const r = doctorTexts({ 'k8s.yaml': MANAGER, 'providers.tf': 'provider "kubernetes" {\n  config_path = "~/.kube/config"\n}\n' });
    expect(rf(r, 'RF911')).toEqual([]);
    expect(rf(r, 'RF903')[0]!.message).toContain('Nothing in the files names the cloud');
  });

  it('an azurerm resource: RF911 with Azure\'s wording and fix', () => {
    const said = rf(doctorTexts({ 'k8s.yaml': MANAGER, 'main.tf': resource('azurerm_kubernetes_cluster') }), 'RF911');
    expect(said).toHaveLength(1);
    expect(said[0]!.message).toContain("the node's managed identity");
    expect(said[0]!.fix).toBe('bind the manager to its own managed identity (Azure Workload Identity: the azure.workload.identity/client-id annotation on its service account and a federated credential for that account)');
  });

  it('an OpenShift Infrastructure on Azure: RF911 with Azure\'s wording', () => {
    const said = rf(doctorTexts({ 'k8s.yaml': MANAGER, 'infra.yaml': infrastructure('Azure') }), 'RF911');
    expect(said).toHaveLength(1);
    expect(said[0]!.fix).toContain('Azure Workload Identity');
  });

  it('twin: AWS named (a provider "aws" block, or an AWS resource beside an Azure one): the node\'s role and IRSA, as before', () => {
    const cases: Record<string, string>[] = [
      { 'k8s.yaml': MANAGER, 'providers.tf': 'provider "aws" {\n  region = "eu-west-1"\n}\n' },
      { 'k8s.yaml': MANAGER, 'main.tf': `${resource('azurerm_kubernetes_cluster')}${resource('aws_s3_bucket')}` },
    ];
    for (const files of cases) {
      const said = rf(doctorTexts(files), 'RF911');
      expect(said).toHaveLength(1);
      expect(said[0]!.message).toMatch(/so it runs with the node's role$/);
      expect(said[0]!.fix).toBe('bind the manager to its own role (IRSA annotation or Pod Identity association)');
    }
  });
});
