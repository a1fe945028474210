import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';

/**
 * Stop 55d: `[[runners.kubernetes.volumes.host_path]]` mounts a node path into every job pod. The
 * doctor judges it as it judges a Docker bind mount (RF309): the node's container runtime socket,
 * a system folder read-write and the kubelet's folders are a way onto the node; a read-only mount of
 * public files, a data folder of no system path and a pvc volume are no finding. The finding is at
 * the key naming the node's path (host_path, else mount_path), in a config.toml alone and in the
 * chart's runners.config of a Kubernetes chain.
 */

const enc = (s: string) => new TextEncoder().encode(s);
const alone = (toml: string): DoctorResult => doctor([{ path: 'config.toml', bytes: enc(toml) }]);
const rf309 = (r: DoctorResult) => r.findings.filter((f) => f.code === 'RF309');
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

const runner = (executor: string, mounts: string, second = '') => `concurrent = 2

[[runners]]
  name = "k"
  url = "https://gitlab.example.com"
  executor = "${executor}"
  [runners.kubernetes]
    namespace = "ci"
${mounts}${second}`;
const mount = (name: string, fields: Record<string, string | boolean>) =>
  `  [[runners.kubernetes.volumes.host_path]]\n    name = "${name}"\n${Object.entries(fields).map(([k, v]) => `    ${k} = ${JSON.stringify(v)}\n`).join('')}`;

describe('a config.toml alone: kubernetes host_path mounts', () => {
  it('the container runtime socket, read-only too, is RF309 (error) at its mount_path line, saying the job becomes root on the node', () => {
    const toml = runner('kubernetes', mount('sock', { mount_path: '/run/containerd/containerd.sock', read_only: true }));
    const found = rf309(alone(toml));
    expect(found).toHaveLength(1);
    expect(found[0]!.severity).toBe('error');
    expect(found[0]!.path).toBe(`config.toml:${lineOf(toml, 'containerd.sock')}:5`);
    expect(found[0]!.message).toContain("the node's container runtime socket");
    expect(found[0]!.message).toContain('root on the node');
    expect(found[0]!.fix).toContain('remove the [[runners.kubernetes.volumes.host_path]] entry');
  });

  it('host_path names the node path: /etc read-write is RF309 at the host_path line, not at mount_path', () => {
    const toml = runner('kubernetes', mount('etc', { mount_path: '/host/etc', host_path: '/etc' }));
    const found = rf309(alone(toml));
    expect(found.map((f) => f.path)).toEqual([`config.toml:${lineOf(toml, 'host_path = "/etc"')}:5`]);
    expect(found[0]!.message).toContain("the node's /etc into every job pod, read-write");
  });

  it("the kubelet's folder read-only is RF309: a job reads every pod's service account tokens on the node", () => {
    const found = rf309(alone(runner('kubernetes', mount('kl', { mount_path: '/kl', host_path: '/var/lib/kubelet/pods', read_only: true }))));
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain('service account tokens');
  });

  it('/etc/hosts read-write is a warning whose fix sets read_only', () => {
    const found = rf309(alone(runner('kubernetes', mount('hosts', { mount_path: '/etc/hosts' }))));
    expect(found.map((f) => f.severity)).toEqual(['warning']);
    expect(found[0]!.fix).toContain('read_only = true');
  });

  it('no finding (guards): /etc/localtime and /etc/ssl/certs read-only, a data folder, a pvc volume', () => {
    expect(rf309(alone(runner('kubernetes', mount('tz', { mount_path: '/etc/localtime', read_only: true }))))).toEqual([]);
    expect(rf309(alone(runner('kubernetes', mount('data', { mount_path: '/data', host_path: '/mnt/data' }))))).toEqual([]);
    expect(rf309(alone(runner('kubernetes', '  [[runners.kubernetes.volumes.pvc]]\n    name = "cache"\n    mount_path = "/var/run"\n')))).toEqual([]);
    expect(rf309(alone(runner('kubernetes', mount('certs', { mount_path: '/etc/ssl/certs', read_only: true }))))).toEqual([]);
  });

  it('an executor that does not read [runners.kubernetes] mounts nothing: no finding', () => {
    expect(rf309(alone(runner('shell', mount('sock', { mount_path: '/var/run/docker.sock' }))))).toEqual([]);
  });

  it('a second [[runners]] entry is checked too, named as entry 1', () => {
    const second = `
[[runners]]
  name = "two"
  url = "https://gitlab.example.com"
  executor = "kubernetes"
  [runners.kubernetes]
    namespace = "ci"
  [[runners.kubernetes.volumes.host_path]]
    name = "root"
    mount_path = "/host"
    host_path = "/"
`;
    const toml = runner('kubernetes', '', second);
    const found = rf309(alone(toml));
    expect(found).toHaveLength(1);
    expect(found[0]!.path).toBe(`config.toml:${lineOf(toml, 'host_path = "/"')}:5`);
    expect(found[0]!.message).toContain('of [[runners]] entry 1');
  });
});

describe("the chart's runners.config: entry 0's host_path mounts", () => {
  const CASE = join(import.meta.dirname, 'doctor', 'corpus', 'irsa-guide-sound');
  const run = (extra: string): { r: DoctorResult; values: string } => {
    const values = readFileSync(join(CASE, 'values.yaml'), 'utf8').replace('        privileged = false\n', `        privileged = false\n${extra}`);
    const files = [{ path: 'values.yaml', bytes: enc(values) }, { path: 'k8s.yaml', bytes: readFileSync(join(CASE, 'k8s.yaml')) }];
    for (const f of readdirSync(join(CASE, 'iam'))) files.push({ path: `iam/${f}`, bytes: readFileSync(join(CASE, 'iam', f)) });
    return { r: doctor(files), values };
  };

  it('the Docker socket mounted into job pods is RF309 at its line in values.yaml, naming the runner', () => {
    const { r, values } = run('      [[runners.kubernetes.volumes.host_path]]\n        name = "docker"\n        mount_path = "/var/run/docker.sock"\n        read_only = true\n');
    const found = rf309(r);
    expect(found).toHaveLength(1);
    expect(found[0]!.path).toBe(`values.yaml:${lineOf(values, 'mount_path = "/var/run/docker.sock"')}:9`);
    expect(found[0]!.message).toMatch(/^runner \S+: config\.toml \[\[runners\.kubernetes\.volumes\.host_path\]\] mount_path = "\/var\/run\/docker\.sock"/);
  });

  it('a read-only mount of the public certificates is none (guard)', () => {
    const { r } = run('      [[runners.kubernetes.volumes.host_path]]\n        name = "certs"\n        mount_path = "/etc/ssl/certs"\n        read_only = true\n');
    expect(rf309(r)).toEqual([]);
  });
});
