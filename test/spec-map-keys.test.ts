import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadAndPlan } from '../src/cli/load.js';
import { planText, synthFiles, type PlanResult } from '../src/core.js';
import { exampleText } from './helpers/fleet.js';

/**
 * Keys of the spec's maps are the user's data. A key named `__proto__` (or `constructor`,
 * `toString`, `hasOwnProperty`) is a key like any other: kept and written out where the target
 * system accepts it (AWS and Azure tag keys, environment variable names), refused with a finding
 * where it does not (Kubernetes label keys, IAM condition operators and keys). Never dropped in
 * silence, never the prototype of anything.
 */

/** An example's text with `from` replaced by `to` (exactly once). */
function edited(example: string, from: string, to: string): string {
  const text = exampleText(example);
  expect(text.split(from).length, `${example} contains ${from} once`).toBe(2);
  return text.replace(from, to);
}

function file(plan: PlanResult, path: string): string {
  expect(plan.exitCode, JSON.stringify(plan.findings, null, 1)).toBe(0);
  const f = synthFiles(plan).find((x) => x.path === path);
  expect(f, path).toBeDefined();
  return f!.content;
}

function refused(plan: PlanResult, path: string) {
  expect(plan.exitCode).toBe(2);
  expect(plan.emitted).toBeUndefined();
  const hit = plan.findings.find((f) => f.path === path);
  expect(hit, JSON.stringify(plan.findings, null, 1)).toBeDefined();
  return hit!;
}

function expectPrototypeClean() {
  expect(Object.keys(Object.prototype)).toEqual([]);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.getPrototypeOf({})).toBe(Object.prototype);
}

const awsTags = (tags: string) => edited('eks-irsa', '  tags:\n    cost-center: platform\n', `  tags:\n${tags}`);

describe('map keys that name Object.prototype members are data', () => {
  it('aws.tags: __proto__ (block YAML) is kept as an own key and written into the default tags, in the order written, with constructor, toString, hasOwnProperty', () => {
    const plan = planText(awsTags('    cost-center: platform\n    __proto__: kept\n    constructor: c\n    toString: t\n    hasOwnProperty: h\n'), 'fleet.yaml');
    const tags = plan.spec!.aws!.tags;
    expect(Object.getPrototypeOf(tags)).toBe(Object.prototype);
    expect(Object.keys(tags)).toEqual(['cost-center', '__proto__', 'constructor', 'toString', 'hasOwnProperty']);
    const tf = JSON.parse(file(plan, 'terraform/aws/main.tf.json'));
    const defaultTags = tf.provider.aws[0].default_tags.tags;
    expect(Object.entries(defaultTags)).toEqual([
      ['managed-by', 'runner-fleet'],
      ['runner-fleet-fleet', 'acme'],
      ['cost-center', 'platform'],
      ['__proto__', 'kept'],
      ['constructor', 'c'],
      ['toString', 't'],
      ['hasOwnProperty', 'h'],
    ]);
    expectPrototypeClean();
  });

  it('aws.tags: __proto__ in a flow mapping and in a JSON spec is kept too', () => {
    const flow = planText(edited('eks-irsa', '  tags:\n    cost-center: platform\n', '  tags: { __proto__: flow, team: ci }\n'), 'fleet.yaml');
    expect(JSON.parse(file(flow, 'terraform/aws/main.tf.json')).provider.aws[0].default_tags.tags.__proto__).toBe('flow');
    const json = JSON.stringify(planText(exampleText('eks-irsa')).spec).replace('"cost-center":"platform"', '"__proto__":"json","cost-center":"platform"');
    const plan = planText(json, 'fleet.json');
    expect(Object.keys(plan.spec!.aws!.tags)).toEqual(['__proto__', 'cost-center']);
    expect(file(plan, 'terraform/aws/main.tf.json')).toContain('"__proto__": "json"');
  });

  it('azure.tags: __proto__ is kept and tags every Azure resource', () => {
    const plan = planText(edited('aks-workload-identity', '  tags:\n    cost-center: platform\n', '  tags:\n    cost-center: platform\n    __proto__: azure\n'), 'fleet.yaml');
    const tf = JSON.parse(file(plan, 'terraform/azure/main.tf.json')) as { resource: { azurerm_user_assigned_identity: Record<string, { tags: Record<string, string> }> } };
    const identities = Object.values(tf.resource.azurerm_user_assigned_identity);
    expect(identities.length).toBeGreaterThan(0);
    for (const id of identities) expect(Object.entries(id.tags)).toContainEqual(['__proto__', 'azure']);
  });

  it('jobs.environment: __proto__ and constructor are variables like any other (valid shell names)', () => {
    const plan = planText(edited('eks-irsa', '      nodeSelector: { nodepool: ci }\n', '      nodeSelector: { nodepool: ci }\n      environment: { __proto__: p, constructor: c, FOO: bar }\n'), 'fleet.yaml');
    expect(Object.keys(plan.spec!.runners[0]!.jobs.environment).sort()).toEqual(['FOO', '__proto__', 'constructor']);
    expect(file(plan, 'runners/build/config.toml')).toContain('environment = [ "FOO=bar", "__proto__=p", "constructor=c" ]');
  });

});

describe('map keys that the target system refuses are refused at the spec (exit 2)', () => {
  it.each([
    ['jobs.nodeSelector', 'eks-irsa', 'nodeSelector: { nodepool: ci }', 'nodeSelector: { nodepool: ci, __proto__: x, constructor: a, toString: b, hasOwnProperty: c }', 'runners[0].jobs.nodeSelector.__proto__'],
    ['manager.nodeSelector', 'aks-create', 'nodeSelector: { workload: runners }', 'nodeSelector: { workload: runners, __proto__: x, constructor: a, toString: b, hasOwnProperty: c }', 'runners[0].manager.nodeSelector.__proto__'],
    ['EKS node group labels', 'eks-create-access-entries', 'labels: { role: ci }', 'labels: { role: ci, __proto__: x, constructor: a, toString: b, hasOwnProperty: c }', 'clusters[0].create.nodeGroups[1].labels.__proto__'],
    ['AKS node pool labels', 'aks-create', 'labels: { workload: runners }', 'labels: { workload: runners, __proto__: x, constructor: a, toString: b, hasOwnProperty: c }', 'clusters[0].create.nodePools[0].labels.__proto__'],
  ])('%s: __proto__ is not a Kubernetes label key (constructor, toString, hasOwnProperty are)', (_name, example, from, to, path) => {
    const plan = planText(edited(example, from, to), 'fleet.yaml');
    // Only __proto__ is refused: the other three are valid label keys, plain data.
    expect(plan.findings.map((f) => f.path)).toEqual([path]);
    const hit = refused(plan, path);
    expect(hit.code).toBe('RF002');
    expect(hit.message).toContain('the key "__proto__" is not a Kubernetes label key');
    expect(hit.received).toBe('"__proto__"');
    expect(hit.allowed).toMatch(/starting and ending with a letter or digit/);
    expect(hit.fix).toMatch(/rename the key|remove it/);
  });

  it('job IAM conditions: __proto__ as an operator and as a condition key', () => {
    const text = edited('cross-account-deploy', '          - actions: ["ecr:GetAuthorizationToken"]\n            resources: ["*"]\n', '          - actions: ["ecr:GetAuthorizationToken"]\n            resources: ["*"]\n            conditions: { __proto__: { "aws:SourceIp": 10.0.0.1 }, StringEquals: { __proto__: x, "aws:RequestedRegion": eu-central-1 } }\n');
    const plan = planText(text, 'fleet.yaml');
    expect(refused(plan, 'runners[0].jobs.permissions.aws[0].conditions.__proto__').message).toContain('unknown IAM condition operator "__proto__"');
    expect(refused(plan, 'runners[0].jobs.permissions.aws[0].conditions.StringEquals.__proto__').message).toContain('is not an IAM condition key');
  });

  it('deploy target conditions get the same checks (were an internal error)', () => {
    const text = edited('cross-account-deploy', '            - actions: ["ec2:Describe*"]\n              resources: ["*"]\n', '            - actions: ["ec2:Describe*"]\n              resources: ["*"]\n              conditions: { __proto__: { "aws:RequestedRegion": eu-central-1 }, StringEquals: { __proto__: y } }\n');
    const plan = planText(text, 'fleet.yaml');
    expect(refused(plan, 'runners[1].jobs.deployTargets[0].permissions[1].conditions.__proto__').message).toContain('unknown IAM condition operator');
    expect(refused(plan, 'runners[1].jobs.deployTargets[0].permissions[1].conditions.StringEquals.__proto__').message).toContain('is not an IAM condition key');
  });

  it('a map value under __proto__ is checked like any other value, and pollutes nothing', () => {
    const plan = planText(awsTags('    __proto__: { polluted: yes }\n'), 'fleet.yaml');
    const hit = refused(plan, 'aws.tags.__proto__');
    expect(hit.message).toMatch(/expected string, got object/);
    expectPrototypeClean();
  });
});

describe('spec modules (.mjs): computed keys, JSON.parse and the __proto__ literal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'runner-fleet-proto-'));
  const base = JSON.stringify(planText(exampleText('eks-irsa')).spec);
  const module = (name: string, tags: string) => {
    const path = join(dir, `${name}.mjs`);
    writeFileSync(path, `const spec = ${base};\nspec.aws.tags = ${tags};\nexport default spec;\n`);
    return path;
  };

  it('a computed ["__proto__"] key and a map from JSON.parse are tags', async () => {
    for (const tags of [`{ team: 'a', ['__proto__']: 'computed' }`, `JSON.parse('{"team":"a","__proto__":"computed"}')`]) {
      const plan = await loadAndPlan(module('computed', tags));
      expect(JSON.parse(file(plan, 'terraform/aws/main.tf.json')).provider.aws[0].default_tags.tags).toMatchObject({ team: 'a', ['__proto__']: 'computed' });
    }
    expectPrototypeClean();
  });

  it('a literal __proto__: {...} (which sets the prototype) is refused, not lost', async () => {
    const plan = await loadAndPlan(module('literal', `{ team: 'a', __proto__: { owner: 'x' } }`));
    const hit = refused(plan, 'aws.tags');
    expect(hit.message).toContain('inherits "owner"');
    expect(hit.fix).toContain('["__proto__"]: value');
    expectPrototypeClean();
  });
});
