import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { doctorTexts, placeOf, plainManager, templateObjects } from './helpers/doctor.js';

/**
 * RF911 says a manager with no cloud identity of its own runs with its node's role. On an OpenShift
 * deployment (an object of an `*.openshift.io` API group, an OpenShift Template) with no cloud's
 * resource or role in the files, the nodes may have no cloud identity at all (bare metal, vSphere):
 * it is RF903 there, saying both cases and that the files do not tell which.
 */

const codes = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);

const MANAGER = plainManager({ namespace: 'ci' }).text;

const SCC = `apiVersion: security.openshift.io/v1
kind: SecurityContextConstraints
metadata:
  name: gitlab-runner-scc
allowPrivilegedContainer: false
runAsUser:
  type: MustRunAsRange
seLinuxContext:
  type: MustRunAs
users:
  - system:serviceaccount:ci:gitlab-runner
`;

/** The manager's objects as an OpenShift Template (processed as `oc process` does; no parameter). */
const TEMPLATE = `apiVersion: template.openshift.io/v1
kind: Template
metadata:
  name: runner
objects:
${templateObjects(MANAGER.split('---\n'))}`;

const nodeRole = (r: DoctorResult) => codes(r, 'RF903').filter((f) => f.message.includes("The deployment is OpenShift's"));

describe('a manager with no cloud identity on OpenShift with no cloud in the files', () => {
  it('a SecurityContextConstraints beside it: RF903 at the manager naming it, not RF911', () => {
    const r = doctorTexts({ 'k8s.yaml': MANAGER, 'scc.yaml': SCC });
    expect(codes(r, 'RF911')).toEqual([]);
    const said = nodeRole(r);
    expect(said.map((f) => f.path)).toEqual([placeOf('k8s.yaml', MANAGER, 'apiVersion: apps/v1')]);
    expect(said[0]!.message).toContain('SecurityContextConstraints gitlab-runner-scc (security.openshift.io/v1) at scc.yaml:1:1');
    expect(said[0]!.message).toContain('there is no node role to get');
  });

  it('the manager written in an OpenShift Template: RF903 naming the template, not RF911', () => {
    const r = doctorTexts({ 'template.yaml': TEMPLATE });
    expect(codes(r, 'RF911')).toEqual([]);
    const said = nodeRole(r);
    expect(said).toHaveLength(1);
    expect(said[0]!.message).toContain('Template runner at template.yaml:1:1');
  });

  // Issue 34e: with no OpenShift object and no cloud named either, it is RF903 too (test/doctor-no-cloud-node-role.test.ts), in words that do not say OpenShift.
  it('guard: no OpenShift object is not said to be OpenShift\'s; a cloud\'s resource given beside it is RF911 as before', () => {
    const plain = doctorTexts({ 'k8s.yaml': MANAGER });
    expect(codes(plain, 'RF911')).toEqual([]);
    expect(nodeRole(plain)).toEqual([]);
    const tf = 'resource "aws_s3_bucket" "cache" {\n  bucket = "runner-cache"\n}\n';
    const cloud = doctorTexts({ 'k8s.yaml': MANAGER, 'scc.yaml': SCC, 'main.tf': tf });
    expect(codes(cloud, 'RF911')).toHaveLength(1);
    expect(nodeRole(cloud)).toEqual([]);
    // A Terraform of the cluster's own objects only (kubernetes provider) is no cloud.
    const kube = 'resource "kubernetes_namespace_v1" "ci" {\n  metadata {\n    name = "ci-extra"\n  }\n}\n';
    const inCluster = doctorTexts({ 'k8s.yaml': MANAGER, 'scc.yaml': SCC, 'main.tf': kube });
    expect(codes(inCluster, 'RF911')).toEqual([]);
    expect(nodeRole(inCluster)).toHaveLength(1);
  });
});
