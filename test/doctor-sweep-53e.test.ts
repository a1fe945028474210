import { describe, expect, it } from 'vitest';
import { doctor } from '../src/doctor/index.js';

/**
 * Stop 53's sweep of sixteen more public deployments (Ansible roles, Kubernetes manifests, EKS, ECS,
 * Azure VMs). Fixtures are written here for each case, in our own words.
 */
const enc = (s: string) => new TextEncoder().encode(s);
const run = (files: Record<string, string>) => doctor(Object.entries(files).map(([path, text]) => ({ path, bytes: enc(text) })));
const codes = (r: ReturnType<typeof doctor>, code: string) => r.findings.filter((f) => f.code === code);

describe('a quoted scalar whose continuation lines start at column 0 (Ansible vars, read by PyYAML)', () => {
  // A double-quoted value broken with escaped line breaks, a single-quoted one folded over a line,
  // and a token written further down: PyYAML (libyaml) reads the file; YAML 1.2 asks for indentation.
  const vars = [
    'runner_repo: "deb https://packages.example.test/runner/\\',
    '{{ runner_package }}/\\',
    ' stable main"',
    'runner_note: \'first half',
    'second half\'',
    'nested:',
    '  list:',
    '    - "one',
    'two"',
    'gitlab_runner_token: "glrt-Abc1Def2Ghi3Jkl4Mno5"',
    '',
  ].join('\n');

  it('is read, not RF901; what it holds is checked, at its own line and column', () => {
    const r = run({ 'vars/main.yml': vars });
    expect(codes(r, 'RF901')).toEqual([]);
    // The token on line 10 is found where it is written (the lines before it were not moved).
    expect(codes(r, 'RF940').map((f) => f.path)).toEqual(['vars/main.yml:10:22']);
  });

  it('a Pod whose quoted args continue on lines led by a tab: read as the manager it is', () => {
    const pod = [
      'apiVersion: v1',
      'kind: Pod',
      'metadata:',
      '  name: lone-runner',
      'spec:',
      '  containers:',
      '  - name: runner',
      '    image: gitlab/gitlab-runner:v17.4.0',
      '    env:',
      '      - name: RUNNER_TOKEN',
      '        value: "glrt-Abc1Def2Ghi3Jkl4Mno5"',
      '    command: ["/bin/sh", "-c"]',
      '    args: ["gitlab-runner register \\',
      '\t--non-interactive \\',
      '\t&& gitlab-runner run"]',
      '',
    ].join('\n');
    const r = run({ 'pod.yaml': pod });
    expect(codes(r, 'RF901')).toEqual([]);
    expect([...r.chains.keys()]).toEqual(['default']);
    expect(codes(r, 'RF940').map((f) => f.path)).toEqual(['pod.yaml:11:16']);
  });

  it('a quote that never closes, or a document marker inside the scalar, is still RF901', () => {
    const open = run({ 'vars/main.yml': 'runner_repo: "deb https://packages.example.test/\nnext: 1\n' });
    expect(codes(open, 'RF901').map((f) => f.path)).toEqual(['vars/main.yml:3:1']);
    const marker = run({ 'vars/main.yml': 'runner_repo: "deb\n--- x"\n' });
    expect(codes(marker, 'RF901')).toHaveLength(1);
  });

  it('indented continuation lines were read before and still are', () => {
    const r = run({ 'vars/main.yml': 'runner_repo: "deb \\\n  stable main"\ngitlab_runner_token: "glrt-Abc1Def2Ghi3Jkl4Mno5"\n' });
    expect(codes(r, 'RF901')).toEqual([]);
    expect(codes(r, 'RF940').map((f) => f.path)).toEqual(['vars/main.yml:3:22']);
  });
});

describe('a manager Deployment whose init container registers from its environment', () => {
  // An init container of the runner image runs `register` with KUBERNETES_PRIVILEGED and writes the
  // config.toml to an emptyDir the runner container mounts and runs from.
  const deployment = (opts: { initMount?: string; initImage?: string; privileged?: string } = {}) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ci-runner
  namespace: builds
spec:
  replicas: 1
  selector:
    matchLabels: { app: ci-runner }
  template:
    metadata:
      labels: { app: ci-runner }
    spec:
      serviceAccountName: ci-manager
      initContainers:
        - name: register
          image: ${opts.initImage ?? 'gitlab/gitlab-runner:v17.4.0'}
          args: [register]
          env:
            - name: REGISTER_NON_INTERACTIVE
              value: "true"
            - name: RUNNER_EXECUTOR
              value: kubernetes
            - name: KUBERNETES_PRIVILEGED
              value: "${opts.privileged ?? 'true'}"
          volumeMounts:
            - name: ${opts.initMount ?? 'runner-config'}
              mountPath: /etc/gitlab-runner
      containers:
        - name: manager
          image: gitlab/gitlab-runner:v17.4.0
          args: [run]
          volumeMounts:
            - name: runner-config
              mountPath: /etc/gitlab-runner
      volumes:
        - name: runner-config
          emptyDir: {}
        - name: scratch
          emptyDir: {}
`;

  it('KUBERNETES_PRIVILEGED=true of the init container: RF301 at its value', () => {
    const r = run({ 'runner.yaml': deployment() });
    expect(codes(r, 'RF301').map((f) => f.path)).toEqual(['runner.yaml:25:22']);
    expect(codes(r, 'RF301')[0]!.message).toContain('env KUBERNETES_PRIVILEGED of Deployment builds/ci-runner');
  });

  it('false, an init container that shares no volume with the runner, or one of another image: no RF301', () => {
    expect(codes(run({ 'runner.yaml': deployment({ privileged: 'false' }) }), 'RF301')).toEqual([]);
    expect(codes(run({ 'runner.yaml': deployment({ initMount: 'scratch' }) }), 'RF301')).toEqual([]);
    expect(codes(run({ 'runner.yaml': deployment({ initImage: 'alpine:3.20' }) }), 'RF301')).toEqual([]);
  });
});

describe("an Ansible role's register flag written as one of its own variables", () => {
  // A role's task registers with an authentication token and `--locked {{ role_locked }}`; register
  // refuses --locked false with a glrt- token, and takes true (its default).
  const task = [
    '- name: Register the runner',
    '  ansible.builtin.shell:',
    '    cmd: gitlab-runner register',
    '      --non-interactive',
    '      --url https://gitlab.example.test',
    '      --token {{ role_token }}',
    '      --executor docker',
    '      --docker-image alpine:3.20',
    '      --locked="{{ role_locked }}"',
    '',
  ].join('\n');
  const locked = (r: ReturnType<typeof doctor>) => r.findings.filter((f) => (f.code === 'RF903' || f.code === 'RF919') && f.message.includes('--locked'));

  it('the role\'s defaults give "true": no finding (was RF903 "not in the files given")', () => {
    expect(locked(run({ 'tasks/main.yml': task, 'defaults/main.yml': 'role_locked: "true"\n' }))).toEqual([]);
    expect(locked(run({ 'tasks/main.yml': task, 'defaults/main.yml': 'role_locked: yes\n' }))).toEqual([]);
  });

  it('the role\'s defaults give false, or its vars do over a true default: RF919 at the flag, naming the file', () => {
    const f = locked(run({ 'tasks/main.yml': task, 'defaults/main.yml': 'role_locked: false\n' }));
    expect(f.map((x) => `${x.code} ${x.path}`)).toEqual(['RF919 tasks/main.yml:9:7']);
    expect(f[0]!.message).toContain("the role's defaults/main.yml gives {{ role_locked }} the value False (where no play or inventory sets it otherwise)");
    const v = locked(run({ 'tasks/main.yml': task, 'defaults/main.yml': 'role_locked: true\n', 'vars/main.yml': 'role_locked: "0"\n' }));
    expect(v.map((x) => x.code)).toEqual(['RF919']);
    expect(v[0]!.message).toContain("the role's vars/main.yml gives {{ role_locked }} the value 0");
  });

  it('no role variable file, or a value that is itself a template: RF903 as before', () => {
    expect(locked(run({ 'tasks/main.yml': task })).map((x) => x.code)).toEqual(['RF903']);
    expect(locked(run({ 'tasks/main.yml': task, 'defaults/main.yml': 'role_locked: "{{ other }}"\n' })).map((x) => x.code)).toEqual(['RF903']);
  });
});
