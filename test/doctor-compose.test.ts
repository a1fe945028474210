import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type InputFile } from '../src/doctor/index.js';
import { isComposeFileName } from '../src/doctor/env-managers.js';
import { corpusFiles } from './helpers/doctor.js';

/**
 * docker-compose files: the services that run gitlab-runner (its image, or another image given
 * register settings as environment) are named in RF910 (RF903 beside a manager the doctor found),
 * a literal token in their environment is RF940 (map or list form, never shown), and a manager's
 * Docker socket mount is no finding (the Docker executor works through it).
 */
const CASE = join(import.meta.dirname, 'doctor', 'corpus', 'compose-docker-manager');
const TOKEN = 'Zr5kQw8mTn3xVb7pLc2h';
const enc = (s: string) => new TextEncoder().encode(s);
const compose = (body: string, path = 'ci/docker-compose.yml'): InputFile => ({ path, bytes: enc(`services:\n${body}`) });
const rf910 = (r: ReturnType<typeof doctor>) => r.findings.find((f) => f.code === 'RF910');

describe('docker-compose services that run a runner manager', () => {
  it('knows compose files by name: compose.yaml, docker-compose.yml and their overrides and variants', () => {
    expect(['compose.yaml', 'compose.yml', 'docker-compose.yml', 'a/docker-compose.yaml', 'compose.override.yaml', 'docker-compose.prod.yml', 'docker-compose-ci.yml'].filter(isComposeFileName)).toHaveLength(7);
    expect(['values.yaml', 'composer.yml', 'my-compose.yml', 'compose.json', 'k8s/compose/deploy.yaml'].filter(isComposeFileName)).toEqual([]);
  });

  it('the corpus case: RF910 names each service (where, image, settings, config folder), RF940 for the token; the Docker socket is not a finding', () => {
    const r = doctor(corpusFiles(CASE));
    const m = rf910(r)?.message ?? '';
    expect(m).toContain("compose service gitlab-runner (docker-compose.yml:5:5) runs image gitlab/gitlab-runner:v17.11.0; its config.toml is in ./config (mounted as gitlab-runner's configuration folder), which is not among the files given");
    expect(m).toContain("compose service register (docker-compose.yml:12:5) runs image registry.gitlab.com/gitlab-org/gitlab-runner:v17.11.0 with gitlab-runner's register settings as environment (CI_SERVER_URL, RUNNER_EXECUTOR, DOCKER_IMAGE, CI_SERVER_TOKEN)");
    expect(m).toContain("so this runner's identity chain is not proven");
    expect(rf910(r)?.fix).toMatch(/^give the config.toml the service mounts beside the compose file/);
    expect(r.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code} ${f.path}`)).toEqual(['RF940 docker-compose.yml:19:24']);
    expect(JSON.stringify(r.findings)).not.toMatch(/docker\.sock|glrt-Qm4v/);
  });

  it('a literal token in the list form of environment is RF940 at the entry; a ${VAR} from the shell is none', () => {
    const listed = doctor([compose(`  runner:\n    image: gitlab/gitlab-runner:latest\n    environment:\n      - CI_SERVER_URL=https://gitlab.example.com\n      - REGISTRATION_TOKEN=${TOKEN}\n`)]);
    expect(listed.findings.filter((f) => f.code === 'RF940').map((f) => f.path)).toEqual(['ci/docker-compose.yml:6:9']);
    expect(rf910(listed)?.message).toContain('compose service runner (ci/docker-compose.yml:3:5) runs image gitlab/gitlab-runner:latest with gitlab-runner\'s register settings as environment (CI_SERVER_URL, REGISTRATION_TOKEN); its config.toml is made inside the container');
    expect(rf910(doctor([compose('  runner:\n    image: gitlab/gitlab-runner:latest\n')]))?.message).toContain('compose service runner (ci/docker-compose.yml:3:5) runs image gitlab/gitlab-runner:latest; no config.toml is mounted (the container keeps its own)');
    expect(JSON.stringify(listed)).not.toContain(TOKEN);
    const fromShell = doctor([compose('  runner:\n    image: gitlab/gitlab-runner:latest\n    environment:\n      CI_SERVER_TOKEN: ${RUNNER_TOKEN}\n')]);
    expect(fromShell.findings.filter((f) => f.code === 'RF940')).toEqual([]);
  });

  it('a custom image given register settings is named; services of other images (a database, the runner helper) are not', () => {
    const r = doctor([compose(`  runner:\n    image: registry.example.com/ci/runner:3\n    environment:\n      CI_SERVER_URL: https://gitlab.example.com\n      RUNNER_EXECUTOR: shell\n  db:\n    image: postgres:16\n    environment:\n      CI_SERVER_URL: https://gitlab.example.com\n  helper:\n    image: registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper:x86_64-v17.11.0\n`)]);
    const m = rf910(r)?.message ?? '';
    expect(m).toContain('compose service runner (ci/docker-compose.yml:3:5) runs image registry.example.com/ci/runner:3 with gitlab-runner\'s register settings as environment (CI_SERVER_URL, RUNNER_EXECUTOR); its config.toml is made inside the container');
    expect(m).not.toContain('compose service db');
    expect(m).not.toContain('compose service helper');
  });

  it('the config.toml the service mounts, given beside it, is checked on its own and named so', () => {
    const toml = { path: 'ci/config/config.toml', bytes: enc('concurrent = 2\n\n[[runners]]\n  name = "host"\n  url = "https://gitlab.example.com"\n  executor = "docker"\n  [runners.docker]\n    image = "alpine:3.20"\n    privileged = true\n') };
    const r = doctor([compose('  runner:\n    image: gitlab/gitlab-runner:v17.11.0\n    volumes:\n      - ./config/:/etc/gitlab-runner:Z\n      - /var/run/docker.sock:/var/run/docker.sock\n'), toml]);
    expect(rf910(r)?.message).toContain('its config.toml (ci/config/config.toml, mounted from ./config/) is checked on its own');
    // Its settings are: privileged jobs (RF301) where they are written.
    expect(r.findings.some((f) => f.code === 'RF301' && f.path.startsWith('ci/config/config.toml:'))).toBe(true);
  });

  it('a YAML file of another name with services is not read as compose (guard)', () => {
    const r = doctor([compose('  runner:\n    image: gitlab/gitlab-runner:latest\n', 'ci/services.yml')]);
    expect(rf910(r)?.message).not.toContain('compose service');
  });
});
