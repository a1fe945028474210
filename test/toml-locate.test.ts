import { describe, expect, it } from 'vitest';
import { tomlPlace } from '../src/doctor/toml-locate.js';
import { SourceFile, formatPosition } from '../src/doctor/source.js';

const CONFIG = `concurrent = 4

[[runners]]
  name = "first"
  executor = "kubernetes"
  [runners.kubernetes]
    namespace = "gitlab"
    service_account = "jobs-a"
  [runners.cache]
    Type = "s3"
    [runners.cache.s3]
      BucketName = "cache-a"

[[runners]]
  name = "second"
  notes = """
service_account = "not a key: inside a multi-line string"
"""
  [runners.kubernetes]
    "service_account" = "jobs-b"
    pod_labels.team = "ci"
`;
const lines = CONFIG.split('\n');
const lineOf = (needle: string, from = 0) => lines.findIndex((l, i) => i >= from && l.includes(needle));

describe('tomlPlace: where a TOML value is written', () => {
  it('finds a key of the right element of an array of tables', () => {
    expect(tomlPlace(lines, ['runners', 0, 'kubernetes', 'service_account'])).toEqual({ line: lineOf('"jobs-a"'), column: 5, depth: 4 });
    expect(tomlPlace(lines, ['runners', 1, 'kubernetes', 'service_account'])).toEqual({ line: lineOf('"jobs-b"'), column: 5, depth: 4 });
    expect(tomlPlace(lines, ['runners', 0, 'cache', 's3', 'BucketName'])).toEqual({ line: lineOf('BucketName'), column: 7, depth: 5 });
  });

  it('reads dotted and quoted keys, and skips the lines of a multi-line string', () => {
    expect(tomlPlace(lines, ['runners', 1, 'kubernetes', 'pod_labels', 'team'])).toEqual({ line: lineOf('pod_labels.team'), column: 5, depth: 5 });
    expect(tomlPlace(lines, ['runners', 1, 'notes'])).toEqual({ line: lineOf('notes = """'), column: 3, depth: 3 });
  });

  it('gives the deepest part that exists for a path that is not there', () => {
    expect(tomlPlace(lines, ['runners', 0, 'kubernetes', 'privileged'])).toEqual({ line: lineOf('[runners.kubernetes]'), column: 3, depth: 3 });
    expect(tomlPlace(lines, ['runners', 1, 'cache', 'Type'])).toEqual({ line: lineOf('[[runners]]', 3), column: 1, depth: 2 });
    expect(tomlPlace(lines, ['concurrent'])).toEqual({ line: 0, column: 1, depth: 1 });
    expect(tomlPlace(lines, ['listen_address'])).toBeUndefined();
  });
});

describe('positions in config.toml files and in the chart values that embed one', () => {
  it('a config.toml: the key of the runner the path names, not the first key of that name', () => {
    const src = new SourceFile('config.toml', CONFIG, 'toml');
    expect(formatPosition(src.locate(0, ['runners', 1, 'kubernetes', 'service_account']))).toBe(`config.toml:${lineOf('"jobs-b"') + 1}:5`);
  });

  const VALUES = `gitlabUrl: https://gitlab.example.com/
runners:
  secret: gitlab-runner-token
  config: |
${CONFIG.split('\n')
  .map((l) => (l === '' ? '' : `    ${l}`))
  .join('\n')}
  name: other
`;
  const valuesLine = (needle: string) => VALUES.split('\n').findIndex((l) => l.includes(needle)) + 1;

  for (const reader of ['the plain reader', 'the YAML library'] as const) {
    it(`a key inside runners.config is located on its own line (values read by ${reader})`, () => {
      const src = new SourceFile('values.yaml', VALUES, 'yaml');
      if (reader === 'the plain reader') src.adoptPlainYaml();
      expect(formatPosition(src.locate(0, ['runners', 'config', 'runners', 1, 'kubernetes', 'service_account']))).toBe(`values.yaml:${valuesLine('"jobs-b"')}:9`);
      expect(formatPosition(src.locate(0, ['runners', 'config', 'runners', 0, 'cache', 's3', 'BucketName']))).toBe(`values.yaml:${valuesLine('BucketName')}:11`);
      // The value itself, and a path the TOML does not have: the config value, as before.
      expect(formatPosition(src.locate(0, ['runners', 'config']))).toBe(`values.yaml:${valuesLine('config: |')}:11`);
      expect(formatPosition(src.locate(0, ['runners', 'config', 'shutdown_timeout']))).toBe(`values.yaml:${valuesLine('config: |')}:11`);
      expect(formatPosition(src.locate(0, ['runners', 'name']))).toBe(`values.yaml:${valuesLine('name: other')}:9`);
    });
  }

  it('a config written as a quoted string keeps the position of the string (its lines are not the file lines)', () => {
    const src = new SourceFile('values.yaml', 'runners:\n  config: "[[runners]]\\nexecutor = \\"kubernetes\\"\\n"\n', 'yaml');
    expect(formatPosition(src.locate(0, ['runners', 'config', 'runners', 0, 'executor']))).toBe('values.yaml:2:11');
  });
});

describe('tomlPlace: an entry of an array (issue 29d)', () => {
  const TEXT = `[[runners]]
  executor = "docker+machine"
  [runners.docker]
    volumes = ["/cache", '/var/run/docker.sock:/var/run/docker.sock', "/builds"]
  [runners.machine]
    MachineOptions = [
      "amazonec2-region=us-west-1", # a comment, "not an entry"
      "amazonec2-access-key=AKIA",

      'amazonec2-secret-key=x', "amazonec2-tags=a,b"
    ]
    OffPeakPeriods = ["* * 0-9 * * mon-fri *"]

[[runners]]
  executor = "docker"
  [runners.docker]
    devices = [
      """
/dev/kvm""", "/dev/fuse"]
    services = [{ name = "postgres:16", alias = "db" }, { name = "redis:7" }]
    privileged = true
  [[runners.docker.services_list]]
    name = "x"
`;
  const ls = TEXT.split('\n');
  const find = (needle: string) => {
    const line = ls.findIndex((l) => l.includes(needle));
    return { line, column: ls[line]!.indexOf(needle) + 1 };
  };

  it('a single-line array: each entry at its quote, whatever its quotes', () => {
    expect(tomlPlace(ls, ['runners', 0, 'docker', 'volumes', 0])).toEqual({ ...find('"/cache"'), depth: 5 });
    expect(tomlPlace(ls, ['runners', 0, 'docker', 'volumes', 1])).toEqual({ ...find("'/var/run/docker.sock"), depth: 5 });
    expect(tomlPlace(ls, ['runners', 0, 'docker', 'volumes', 2])).toEqual({ ...find('"/builds"'), depth: 5 });
  });

  it('an array over several lines: each entry on its own line, comments and blank lines skipped', () => {
    expect(tomlPlace(ls, ['runners', 0, 'machine', 'MachineOptions', 0])).toEqual({ ...find('"amazonec2-region'), depth: 5 });
    expect(tomlPlace(ls, ['runners', 0, 'machine', 'MachineOptions', 1])).toEqual({ ...find('"amazonec2-access-key'), depth: 5 });
    expect(tomlPlace(ls, ['runners', 0, 'machine', 'MachineOptions', 2])).toEqual({ ...find("'amazonec2-secret-key"), depth: 5 });
    expect(tomlPlace(ls, ['runners', 0, 'machine', 'MachineOptions', 3])).toEqual({ ...find('"amazonec2-tags'), depth: 5 });
    // The key after the array is still found, and an entry that is not there is the key's place.
    expect(tomlPlace(ls, ['runners', 0, 'machine', 'OffPeakPeriods', 0])).toEqual({ ...find('"* * 0-9'), depth: 5 });
    expect(tomlPlace(ls, ['runners', 0, 'machine', 'MachineOptions', 9])).toEqual({ ...find('MachineOptions'), depth: 4 });
  });

  it('in a later [[runners]] entry: a multi-line string entry, inline tables and their keys, and the keys after them', () => {
    expect(tomlPlace(ls, ['runners', 1, 'docker', 'devices', 0])).toEqual({ ...find('"""'), depth: 5 });
    expect(tomlPlace(ls, ['runners', 1, 'docker', 'devices', 1])).toEqual({ ...find('"/dev/fuse"'), depth: 5 });
    expect(tomlPlace(ls, ['runners', 1, 'docker', 'services', 1])).toEqual({ ...find('{ name = "redis'), depth: 5 });
    expect(tomlPlace(ls, ['runners', 1, 'docker', 'services', 0, 'alias'])).toEqual({ ...find('alias'), depth: 6 });
    expect(tomlPlace(ls, ['runners', 1, 'docker', 'privileged'])).toEqual({ ...find('privileged = true'), depth: 4 });
    expect(tomlPlace(ls, ['runners', 1, 'docker', 'services_list', 0, 'name'])).toEqual({ ...find('name = "x"'), depth: 6 });
  });
});
