import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { registerCommands } from '../src/doctor/register-command.js';

/**
 * A register command written in a YAML flow list, as a Kubernetes container's `command`/`args` often
 * is (`command: ["sh", "-c", "gitlab-runner register …"]`): read as YAML reads the item, not as the raw
 * line, where the closing quote and `]` stuck to the last flag (`--docker-privileged]`, which register
 * refuses: RF919 instead of RF301). Hand-written fixtures of that shape.
 */
const enc = (s: string) => new TextEncoder().encode(s);
const files = (m: Record<string, string>): InputFile[] => Object.entries(m).map(([path, text]) => ({ path, bytes: enc(text) }));
const flags = (text: string, path = 'deploy.yaml') => registerCommands(path, text).map((c) => c.flags.map((f) => (f.value === undefined ? f.name : `${f.name}=${f.value}`)));
const lineCol = (text: string, needle: string): string => {
  const at = text.indexOf(needle);
  const before = text.slice(0, at);
  return `${before.split('\n').length}:${at - before.lastIndexOf('\n')}`;
};

const deployment = (container: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: runner
spec:
  template:
    spec:
      containers:
        - name: register
          image: alpine:3.20
${container}`;

describe('a register command in a YAML flow list is read as YAML reads its items', () => {
  it('sh -c in a flow list, on one line and wrapping over two: the last flag is --docker-privileged (RF301 at it), not --docker-privileged] (RF919)', () => {
    const one = deployment('          command: ["sh", "-c", "gitlab-runner register --non-interactive --url https://g.example.com --executor docker --docker-image alpine --docker-privileged"]\n');
    expect(flags(one)).toEqual([['non-interactive', 'url=https://g.example.com', 'executor=docker', 'docker-image=alpine', 'docker-privileged']]);
    const r = doctor(files({ 'deploy.yaml': one }));
    expect(r.findings.filter((f) => f.code === 'RF919')).toEqual([]);
    expect(r.findings.filter((f) => f.code === 'RF301').map((f) => f.path)).toEqual([`deploy.yaml:${lineCol(one, '--docker-privileged')}`]);
    const wrapped = deployment('          command: ["sh", "-c", "gitlab-runner register --non-interactive --url https://g.example.com\n            --executor docker --docker-image alpine --docker-privileged"]\n');
    expect(flags(wrapped)).toEqual([['non-interactive', 'url=https://g.example.com', 'executor=docker', 'docker-image=alpine', 'docker-privileged']]);
  });

  it('a list of one command\'s words is that command; a block sequence and a block scalar read as before', () => {
    expect(flags(deployment('          command: ["gitlab-runner", "register", "--executor", "docker", "--docker-privileged"]\n'))).toEqual([['executor=docker', 'docker-privileged']]);
    expect(flags(deployment('          command:\n            - sh\n            - -c\n            - gitlab-runner register --executor docker --docker-privileged\n'))).toEqual([['executor=docker', 'docker-privileged']]);
    expect(flags(deployment('          args:\n            - |\n              gitlab-runner register --executor docker \\\n                --docker-privileged\n'))).toEqual([['executor=docker', 'docker-privileged']]);
  });
});
