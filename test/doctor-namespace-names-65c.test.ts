import { describe, expect, it } from 'vitest';
import { codesIn, doctorTexts, doctorWalked, placeOf } from './helpers/doctor.js';
import { RefusedGroups } from '../src/doctor/namespace-names.js';

/**
 * Stop 65c: RF948 in Terraform is said where the evaluator found the value (hcl/eval.ts ValuePlace),
 * not where a second walk of the expression guessed it was: a local that reads another local, a
 * local that is `"${var.a}"`, a root variable's value in terraform.tfvars.json or *.auto.tfvars.json
 * (in Terraform's load order), a called module's variable at the caller's literal argument.
 */

const cm = (name: string, ns: string) => `resource "kubernetes_config_map_v1" "${name}" {\n  metadata {\n    name      = "${name}"\n    namespace = ${ns}\n  }\n}\n`;
const refused = (files: Record<string, string>, walked = false) => codesIn(walked ? doctorWalked(files) : doctorTexts(files), 'RF948');
const lineOf = (file: string, text: string, needle: string) => placeOf(file, text, needle).split(':')[1];
const head = (message: string) => message.split(': the namespace ')[0];

describe('RF948 at the local a local reads', () => {
  const tf = (ns: string) => `locals {\n  a = local.b\n  b = "${ns}"\n}\n\n${cm('x', 'local.a')}\n${cm('y', 'local.b')}`;

  it('locals { a = local.b, b = "Runners" } read as local.a and as local.b: one RF948 at local.b\'s literal, naming both resources', () => {
    const text = tf('Runners');
    const f = refused({ 'main.tf': text });
    expect(f.map((x) => x.path)).toEqual([placeOf('main.tf', text, '"Runners"')]);
    expect(head(f[0]!.message)).toBe(`local.b (read as the namespace by 2 places: kubernetes_config_map_v1.x (line ${lineOf('main.tf', text, 'local.a\n')}) and kubernetes_config_map_v1.y (line ${lineOf('main.tf', text, 'namespace = local.b')}))`);
  });

  it('twin: b = "runners": no RF948', () => {
    expect(refused({ 'main.tf': tf('runners') })).toEqual([]);
  });
});

describe('RF948 at a local of a .tf.json file', () => {
  it('"${local.ns}" in a metadata object and in a metadata list of one: one RF948 at the local\'s value', () => {
    const json = (ns: string) => JSON.stringify({ locals: { ns }, resource: { kubernetes_config_map_v1: { x: { metadata: { name: 'x', namespace: '${local.ns}' } }, y: { metadata: [{ name: 'y', namespace: '${local.ns}' }] } } } }, null, 2);
    const text = json('Runners');
    const f = refused({ 'main.tf.json': text });
    expect(f.map((x) => x.path)).toEqual([placeOf('main.tf.json', text, '"Runners"')]);
    expect(head(f[0]!.message)).toMatch(/^local\.ns \(read as the namespace by 2 places: kubernetes_config_map_v1\.x \(line \d+\) and kubernetes_config_map_v1\.y \(line \d+\)\)$/);
    expect(refused({ 'main.tf.json': json('runners') })).toEqual([]);
  });
});

describe('RF948 at the variable a local interpolates', () => {
  const tf = (def: string) => `variable "a" {\n  type    = string\n  default = "${def}"\n}\n\nlocals {\n  ns = "\${var.a}"\n}\n\n${cm('x', 'local.ns')}\n${cm('y', 'local.ns')}`;

  it('locals { ns = "${var.a}" } over default "Runners": one RF948 at the default, named var.a', () => {
    const text = tf('Runners');
    const f = refused({ 'main.tf': text });
    expect(f.map((x) => x.path)).toEqual([placeOf('main.tf', text, '"Runners"')]);
    expect(head(f[0]!.message)).toMatch(/^var\.a \(read as the namespace by 2 places: kubernetes_config_map_v1\.x \(line \d+\) and kubernetes_config_map_v1\.y \(line \d+\)\)$/);
  });

  it('twin: default "runners": no RF948', () => {
    expect(refused({ 'main.tf': tf('runners') })).toEqual([]);
  });
});

describe('RF948 at the variable definitions file Terraform loads last', () => {
  const tf = `variable "ns" {\n  type    = string\n  default = "runners"\n}\n\n${cm('x', 'var.ns')}\n${cm('y', 'var.ns')}`;

  it('terraform.tfvars.json giving ns = "Runners": one RF948 at its value', () => {
    const json = '{\n  "ns": "Runners"\n}\n';
    const f = refused({ 'main.tf': tf, 'terraform.tfvars.json': json }, true);
    expect(f.map((x) => x.path)).toEqual([placeOf('terraform.tfvars.json', json, '"Runners"')]);
    expect(head(f[0]!.message)).toMatch(/^var\.ns \(read as the namespace by 2 places: kubernetes_config_map_v1\.x \(main\.tf:\d+\) and kubernetes_config_map_v1\.y \(main\.tf:\d+\)\)$/);
  });

  it('terraform.tfvars "runners" then b.auto.tfvars.json "Runners": the later file wins, RF948 at it', () => {
    const json = '{"ns": "Runners"}';
    const f = refused({ 'main.tf': tf, 'terraform.tfvars': 'ns = "runners"\n', 'b.auto.tfvars.json': json }, true);
    expect(f.map((x) => x.path)).toEqual([placeOf('b.auto.tfvars.json', json, '"Runners"')]);
  });

  it('twin: a.auto.tfvars.json "Runners" then b.auto.tfvars "runners" (lexical order): no RF948', () => {
    expect(refused({ 'main.tf': tf, 'a.auto.tfvars.json': '{"ns": "Runners"}', 'b.auto.tfvars': 'ns = "runners"\n' }, true)).toEqual([]);
  });

  it('terraform.tfvars "GitLab" over a default "Runners": RF948 at the tfvars value only, the default is not read', () => {
    const main = tf.replace('default = "runners"', 'default = "Runners"');
    const vars = 'ns = "GitLab"\n';
    const f = refused({ 'main.tf': main, 'terraform.tfvars': vars }, true);
    expect(f.map((x) => x.path)).toEqual([placeOf('terraform.tfvars', vars, '"GitLab"')]);
  });

  it('a -var-file file given (prod.tfvars) with the default\'s value "Runners": one RF948 at the default, which every run reads', () => {
    const main = tf.replace('default = "runners"', 'default = "Runners"');
    const f = refused({ 'main.tf': main, 'prod.tfvars': 'ns = "Runners"\n' });
    expect(f.map((x) => x.path)).toEqual([placeOf('main.tf', main, '"Runners"')]);
    expect(head(f[0]!.message)).toMatch(/^var\.ns \(read as the namespace by 2 places/);
  });

  it('twin: a -var-file file giving another value than the default: not known (RF906), no RF948', () => {
    const main = tf.replace('default = "runners"', 'default = "Runners"');
    const r = doctorTexts({ 'main.tf': main, 'prod.tfvars': 'ns = "runners"\n' });
    expect(codesIn(r, 'RF948')).toEqual([]);
    expect(codesIn(r, 'RF906').map((x) => x.message.split(':')[0]).sort()).toEqual(['kubernetes_config_map_v1.x', 'kubernetes_config_map_v1.y']);
  });
});

describe('RF948 at a module call\'s literal argument', () => {
  const module = `variable "namespace" {\n  type = string\n}\n\n${cm('x', 'var.namespace')}\n${cm('y', 'var.namespace')}`;
  const root = (ns: string) => `module "runners" {\n  source    = "./modules/runners"\n  namespace = ${ns}\n}\n`;

  it('module "runners" { namespace = "Runners" } read by two resources of the module: one RF948 at the argument, naming both', () => {
    const main = root('"Runners"');
    const f = refused({ 'main.tf': main, 'modules/runners/main.tf': module });
    expect(f.map((x) => x.path)).toEqual([placeOf('main.tf', main, '"Runners"')]);
    expect(head(f[0]!.message)).toBe(`the namespace argument of module.runners (read as the namespace by 2 places: module.runners.kubernetes_config_map_v1.x (modules/runners/main.tf:${lineOf('m', module, 'namespace = var.namespace')}) and module.runners.kubernetes_config_map_v1.y (modules/runners/main.tf:${Number(lineOf('m', module, 'namespace = var.namespace')) + 7}))`);
  });

  it('the argument read from a local of the caller: at that local', () => {
    const main = `locals {\n  ns = "Runners"\n}\n\n${root('local.ns')}`;
    const f = refused({ 'main.tf': main, 'modules/runners/main.tf': module });
    expect(f.map((x) => x.path)).toEqual([placeOf('main.tf', main, '"Runners"')]);
    expect(head(f[0]!.message)).toMatch(/^local\.ns \(read as the namespace by 2 places: module\.runners\.kubernetes_config_map_v1\.x/);
  });

  it('two calls with count = 2 of one literal: one RF948, each resource named once', () => {
    const main = root('"Runners"').replace('source ', 'count     = 2\n  source ');
    const f = refused({ 'main.tf': main, 'modules/runners/main.tf': module });
    expect(f.map((x) => x.path)).toEqual([placeOf('main.tf', main, '"Runners"')]);
    expect(head(f[0]!.message)).toMatch(/by 2 places: module\.runners\[0\]\.kubernetes_config_map_v1\.x .* and module\.runners\[0\]\.kubernetes_config_map_v1\.y /);
  });

  it('twin: namespace = "runners": no RF948', () => {
    expect(refused({ 'main.tf': root('"runners"'), 'modules/runners/main.tf': module })).toEqual([]);
  });

  it('a call that leaves the variable to its default "Runners": one RF948 at the module\'s default, naming both resources', () => {
    const withDefault = module.replace('type = string', 'type    = string\n  default = "Runners"');
    const main = 'module "runners" {\n  source = "./modules/runners"\n}\n';
    const f = refused({ 'main.tf': main, 'modules/runners/main.tf': withDefault });
    expect(f.map((x) => x.path)).toEqual([placeOf('modules/runners/main.tf', withDefault, '"Runners"')]);
    expect(head(f[0]!.message)).toMatch(/^var\.namespace \(read as the namespace by 2 places: module\.runners\.kubernetes_config_map_v1\.x \(line \d+\) and module\.runners\.kubernetes_config_map_v1\.y \(line \d+\)\)$/);
  });

  it('a helm_release of the module: at the caller\'s argument too', () => {
    const release = 'variable "namespace" {\n  type = string\n}\n\nresource "helm_release" "runner" {\n  name       = "gitlab-runner"\n  repository = "https://charts.gitlab.io"\n  chart      = "gitlab-runner"\n  namespace  = var.namespace\n}\n';
    const main = root('"Runners"');
    const f = refused({ 'main.tf': main, 'modules/runners/main.tf': release });
    expect(f.map((x) => x.path)).toEqual([placeOf('main.tf', main, '"Runners"')]);
    expect(head(f[0]!.message)).toMatch(/^the namespace argument of module\.runners \(read as the namespace by module\.runners\.helm_release\.runner \(modules\/runners\/main\.tf:9\)\)$/);
  });
});

describe('RefusedGroups.add and .use, one path', () => {
  const at = (line: number) => () => ({ file: 'f', line, column: 1 });
  const place = (n: string, line: number, id?: string) => ({ name: n, at: at(line), ...(id !== undefined ? { id } : {}) });
  it('add: the first place heads the group; a place whose id is in it is not named again', () => {
    const g = new RefusedGroups();
    g.add('k', () => ({ value: 'Runners', kind: 'namespace', at: at(1), what: 'a', consequence: 'c' }), place('a', 1, 'f:1'));
    g.add('k', () => ({ value: 'Runners', kind: 'namespace', at: at(2), what: 'b', consequence: 'c' }), place('b', 2, 'f:2'));
    g.add('k', () => ({ value: 'Runners', kind: 'namespace', at: at(2), what: 'b', consequence: 'c' }), place('b', 2, 'f:2'));
    expect(g.findings().map((f) => head(f.message))).toEqual(['a (and 1 more place in this file that writes it: b (line 2))']);
  });
  it('use: every place read is named, the first too, once', () => {
    const g = new RefusedGroups();
    const h = () => ({ value: 'Runners', kind: 'namespace' as const, at: at(9), what: 'local.ns', consequence: 'c' });
    g.use('k', h, place('a', 1, 'f:1'));
    g.use('k', h, place('a', 1, 'f:1'));
    g.use('k', h, place('b', 2));
    expect(g.findings().map((f) => [f.path, head(f.message)])).toEqual([['f:9:1', 'local.ns (read as the namespace by 2 places: a (line 1) and b (line 2))']]);
  });
});
