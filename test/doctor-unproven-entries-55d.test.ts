import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DoctorResult } from '../src/doctor/index.js';
import { doctorTexts } from './helpers/doctor.js';
import { corpusRoot } from './helpers/corpus-case.js';

/**
 * Stop 55d: a Kubernetes manager whose mounted config.toml has a second privileged [[runners]]
 * entry, in a chain that is not proven (the manager's role not given). The chain's reader said
 * entry 1's RF301 (laterEntriesFindings) and the reader of an unproven chain's config.toml said it
 * again at the same line: one setting, said twice. Now once, with "its chain is not proven". The
 * same holds for entry 0's host_path mounts (RF309), which the chain says itself.
 */

const corpus = (name: string, file: string) => readFileSync(join(corpusRoot(), name, file), 'utf8');
const manifests = corpus('eks-manager-daemonset', 'manager.yaml');
const roles = corpus('eks-manager-daemonset', 'roles.tf.json');
const insertAfter = (source: string, after: string, text: string) => {
  const at = source.indexOf('\n', source.indexOf(after));
  if (source.indexOf(after) < 0) throw new Error(`test fixture: ${after} not found`);
  return `${source.slice(0, at + 1)}${text}${source.slice(at + 1)}`;
};
const SECOND = `
    [[runners]]
      name = "builds"
      url = "https://gitlab.example.com/"
      executor = "kubernetes"
      [runners.kubernetes]
        namespace = "ci-runner"
        privileged = true
`;
const SOCKET = '      [[runners.kubernetes.volumes.host_path]]\n        name = "sock"\n        mount_path = "/run/containerd/containerd.sock"\n';
const run = (text: string, withRoles: boolean): DoctorResult => doctorTexts({ 'manager.yaml': text, ...(withRoles ? { 'roles.tf.json': roles } : {}) });
const at = (r: DoctorResult, code: string) => r.findings.filter((f) => f.code === code);

describe('a second privileged [[runners]] entry of a chain not proven', () => {
  const text = insertAfter(manifests, 'image = "alpine:3.20"', SECOND);

  it('the role not given: RF301 once at entry 1\'s privileged line, saying the chain is not proven', () => {
    const r = run(text, false);
    expect(r.proofs).toEqual([]);
    const rf301 = at(r, 'RF301');
    expect(rf301.map((f) => f.path)).toEqual(['manager.yaml:52:9']);
    expect(rf301[0]!.message).toMatch(/^runner ci-runner \(its chain is not proven\): config\.toml \[runners\.kubernetes\] privileged = true of \[\[runners\]\] entry 1/);
    // The RF903 about the entries the chain does not prove is still said once.
    expect(at(r, 'RF903').filter((f) => f.message.includes('[[runners]] entries'))).toHaveLength(1);
  });

  it('the chain proven (guard): RF301 once too, in the chain\'s words', () => {
    const r = run(text, true);
    expect(at(r, 'RF301').map((f) => f.path)).toEqual(['manager.yaml:52:9']);
    expect(at(r, 'RF301')[0]!.message).toMatch(/^runner ci-runner: /);
  });

  it("entry 0's host_path onto the runtime socket: RF309 once, proven or not", () => {
    const withSocket = insertAfter(manifests, 'image = "alpine:3.20"', SOCKET);
    for (const withRoles of [false, true]) {
      const found = at(run(withSocket, withRoles), 'RF309');
      expect(found).toHaveLength(1);
      expect(found[0]!.message).toContain("the node's container runtime socket");
    }
  });
});
