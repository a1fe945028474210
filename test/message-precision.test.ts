import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, readEvidence, type InputFile } from '../src/doctor/index.js';
import { atEditSite } from '../src/doctor/edit-site.js';
import { inferDeployment } from '../src/doctor/infer.js';
import { userDataText } from '../src/doctor/vm.js';
import { verifyFleet } from '../src/verify/index.js';
import type { Finding } from '../src/spec/findings.js';
import { exampleFiles, exampleNames, planExample } from './helpers/fleet.js';
import { corpusFiles } from './helpers/doctor.js';
import { caseNames } from './helpers/corpus-case.js';
import { withoutSensitive } from '../src/doctor/sensitive.js';

/**
 * What the findings and proofs say reads as sentences: never two brackets in a row (`… (x) (y)`,
 * `((`), the doctor's RF910 names every kind of resource it looked in for a manager, a part of user
 * data only apply knows is read to its own closing brace, and a worker's user data file that is not
 * given is said in the deployment's terms.
 */
const enc = (s: string) => new TextEncoder().encode(s);
const CORPUS = join(import.meta.dirname, 'doctor', 'corpus');
const TWO_BRACKETS = /\) \(|\(\(/;

/** Every text of a finding (message, fix, received, …) and every proof claim with two brackets in a row. */
function twoBrackets(where: string, r: { findings: readonly Finding[]; proofs: readonly { claim: string }[] }): string[] {
  const out: string[] = [];
  for (const f of r.findings) for (const [k, v] of Object.entries(f)) if (typeof v === 'string' && TWO_BRACKETS.test(v)) out.push(`${where} ${f.code} ${k}: ${v}`);
  for (const p of r.proofs) if (TWO_BRACKETS.test(p.claim)) out.push(`${where} proof: ${p.claim}`);
  return out;
}

describe('no two brackets in a row in what is said', () => {
  it.each(exampleNames())('example %s: its plan, and the doctor over what synth writes for it', (name) => {
    const plan = planExample(name);
    const doctored = doctor(exampleFiles(name).map((f) => ({ path: f.path, bytes: enc(f.content) })));
    expect([...twoBrackets('plan', plan), ...twoBrackets('doctor', doctored)]).toEqual([]);
  });

  it('the doctor corpus: no finding or proof of any case', () => {
    const found = caseNames(CORPUS).flatMap((c) => twoBrackets(c, doctor(corpusFiles(join(CORPUS, c)))));
    expect(found).toEqual([]);
  });

  it('a grant named after a message that ends in a bracket follows a semicolon', () => {
    const ev = readEvidence(corpusFiles(join(CORPUS, 'ecs-fargate-hand-written')));
    const inferred = inferDeployment(ev);
    const rf712 = verifyFleet(inferred.intent, inferred.docs, { selfCheck: false, credentialScan: false, deployment: true }).findings.find((f) => f.code === 'RF712')!;
    expect(atEditSite({ ...rf712, message: 'reworded (as a test)' }, ev, inferred).message).toBe('reworded (as a test); granted by aws_iam_role_policy_attachment.manager_ssm');
    expect(atEditSite({ ...rf712, message: 'reworded' }, ev, inferred).message).toBe('reworded (granted by aws_iam_role_policy_attachment.manager_ssm)');
  });
});

describe('what is sensitive, not shown, next to a bracket of the message: one bracket', () => {
  const marks = { texts: new Set(['ci-manager-7', 'ci-cache']), places: [] };
  const said = (...messages: string[]) => withoutSensitive({ findings: messages.map((message) => ({ code: 'RF104' as const, severity: 'error' as const, path: 'plan.json:1:1', message })), proofs: [], chains: new Map<string, string[]>() }, marks).findings.map((f) => f.message);
  it.each([
    ['before a position', 'ServiceAccount gitlab/ci-manager-7 (plan.json:166:1057) → role r', 'ServiceAccount gitlab/(sensitive, not shown, at plan.json:166:1057) → role r'],
    ['before another bracket', 'bucket ci-cache (aws_s3_bucket.cache) accepts requests over plain HTTP', 'bucket (sensitive, not shown; aws_s3_bucket.cache) accepts requests over plain HTTP'],
    ['after a bracket', 'the manager (plan.json:3:4) ci-manager-7 reads', 'the manager (plan.json:3:4; sensitive, not shown) reads'],
    ['opening a bracket', 'a role (ci-manager-7 at plan.json:3:4)', 'a role (sensitive, not shown at plan.json:3:4)'],
  ])('%s', (_name, message, shown) => {
    expect(said(message)).toEqual([shown]);
    expect(shown).not.toMatch(TWO_BRACKETS);
  });
  it('guard: alone in its words, it keeps its bracket', () => {
    expect(said('cache ci-cache/ and gitlab/ci-manager-7, jobs cannot reach it')).toEqual(['cache (sensitive, not shown)/ and gitlab/(sensitive, not shown), jobs cannot reach it']);
  });
});

describe('RF910 names what the doctor looked in for a manager', () => {
  const lc = 'resource "aws_launch_configuration" "ci" {\n  image_id      = "ami-0123456789abcdef0"\n  instance_type = "t3.micro"\n  user_data     = "#!/bin/bash\\necho hello\\n"\n}\n';
  it('a launch configuration whose user data starts no runner: launch configurations, instances, spot requests and Kubernetes workloads are named', () => {
    const rf910 = doctor([{ path: 'main.tf', bytes: enc(lc) }]).findings.find((f) => f.code === 'RF910');
    expect(rf910?.message).toContain('no Kubernetes Pod or workload (Deployment, StatefulSet, DaemonSet, Job, CronJob) running the gitlab-runner image, no EC2 launch template, launch configuration, instance or spot instance request whose user data writes a config.toml or runs gitlab-runner register');
    expect(rf910?.message).not.toContain('no launch template or instance');
  });
  it('a register command no resource runs: the same resources, in RF910\'s reasons', () => {
    const r = doctor([{ path: 'boot.sh', bytes: enc('gitlab-runner register --non-interactive --url https://gitlab.example.com/ --token "$TOKEN" --executor docker\n') }]);
    expect(r.findings.find((f) => f.code === 'RF910')?.message).toContain('(no EC2 launch template, launch configuration, instance or spot instance request whose user data runs it, an executor no platform reads');
  });
});

describe('a part of user data only apply knows is read to its own closing brace', () => {
  const partial = (template: string) => ({ user_data: `\${base64encode(${JSON.stringify(template)})}` });
  const unknownOf = (template: string) => {
    const read = userDataText(partial(template), 'main.tf', new Map());
    if (read === undefined || 'problem' in read) throw new Error('test: the user data is read');
    return read.unknown;
  };
  it.each([
    ['a brace inside a string', '${var.a ? "x" : "}"}'],
    ['an object inside a call', '${jsonencode({ a = { b = var.x } })}'],
    ['a template inside a string', '${var.a == "${var.b}}" ? 1 : 2}'],
    ['a directive over what only apply knows, with a brace in its string', '${%{ if var.a == "}" }}'],
  ])('%s: the whole part', (_name, part) => {
    expect(unknownOf(`#!/bin/bash\nX=${part}\nY=1\n`)).toEqual([part]);
  });
  it('guard: plain parts, a literal $${ and a part that does not parse (to its first brace, as before)', () => {
    expect(unknownOf('A=${var.a}\nB=$${HOME}\nC=${var.c}\n')).toEqual(['${var.a}', '${var.c}']);
    expect(unknownOf('A=${var.a +}\n')).toEqual(['${var.a +}']);
  });
  it('the doctor: RF906 shows the whole part of a config.toml value only apply knows', () => {
    const dir = join(CORPUS, 'ec2-docker-templatefile');
    const main = readFileSync(join(dir, 'main.tf'), 'utf8');
    expect(main).toContain('    region      = "eu-central-1"');
    const files: InputFile[] = [
      { path: 'ec2/main.tf', bytes: enc(`${main.replace('    region      = "eu-central-1"', '    region      = var.r == "}" ? "a" : aws_s3_bucket.cache.region')}\nvariable "r" {}\n`) },
      { path: 'ec2/user-data.sh.tpl', bytes: enc(readFileSync(join(dir, 'user-data.sh.tpl'), 'utf8')) },
    ];
    const rf906 = doctor(files).findings.filter((f) => f.code === 'RF906').map((f) => f.message);
    expect(rf906).toEqual([expect.stringContaining('is TOML only once Terraform fills in ${var.r == "}" ? "a" : aws_s3_bucket.cache.region} and 1 more')]);
  });
  it.each([
    ['a call over an object, in a module', '${module.runner.jsonencode({ a = var.x })}'],
    ['an object with a brace in a string, in a module instance', '${module.runner["k"].{ x = "}", y = var.x }.y}'],
    ['a directive with a brace in its string, in a module', '${module.runner.%{ if var.a == "}" }}'],
  ])('%s: the whole part, past the module address the evaluator writes before it', (_name, part) => {
    expect(unknownOf(`#!/bin/bash\nX=${part}\nY=1\n`)).toEqual([part]);
  });
  it('a line of 20,000 `${` the parser refuses, none closed on the line, is read once: the part on the next line, or none after a comment or heredoc never closed', () => {
    // Read again from every `${`, the first four took 46 s together before (the test's 20 s ran out); read once, a few seconds.
    // A `${` inside what the parser read of a refused part is no part of its own: after a `/*` or a heredoc never closed, that is the rest of the text.
    const line = (unit: string) => `X=${unit.repeat(20_000)}\nY=\${var.y}\n`;
    for (const unit of ['${a ', '${"', '${{a = "', '${module.x.%{ if ']) expect(unknownOf(line(unit)), unit).toEqual(['${var.y}']);
    for (const unit of ['${/*', '${<<EOT\n']) expect(unknownOf(line(unit)), unit).toEqual([]);
  });
});

describe('why the user data only apply knows is unknown: a directive is read to its own closing brace', () => {
  const dir = join(CORPUS, 'ec2-docker-templatefile');
  const main = readFileSync(join(dir, 'main.tf'), 'utf8');
  const template = readFileSync(join(dir, 'user-data.sh.tpl'), 'utf8');
  /** The corpus case with `region` given `region` (an expression over var.r, which has no default) and the template's lines changed; in module "runner" with `module`. */
  const rf906 = (region: string, edit: (tpl: string) => string, module = false) => {
    expect(main).toContain('    region      = "eu-central-1"');
    expect(template).toContain('BucketLocation = "${region}"');
    const at = module ? 'ec2/' : '';
    const files: InputFile[] = [
      ...(module ? [{ path: 'main.tf', bytes: enc('module "runner" {\n  source = "./ec2"\n  r      = var.r\n}\nvariable "r" {}\n') }] : []),
      { path: `${at}main.tf`, bytes: enc(`${main.replace('    region      = "eu-central-1"', `    region      = ${region}`)}\nvariable "r" {}\n`) },
      { path: `${at}user-data.sh.tpl`, bytes: enc(edit(template)) },
    ];
    return doctor(files).findings.filter((f) => f.code === 'RF906' && f.message.includes('the config.toml')).map((f) => f.message);
  };
  const ifBrace = (tpl: string) => tpl.replace('BucketLocation = "${region}"', 'BucketLocation = "%{ if region == "}" }a%{ else }b%{ endif }"');
  it('a directive with a brace in its string: its whole tag, at the root and in a module', () => {
    const said = '.runner is TOML only once Terraform fills in %{ if region == "}" } and 2 more; the condition of %{ if region == "}" } is not known: var.r has no default';
    expect(rf906('var.r', ifBrace)).toEqual([expect.stringContaining(`aws_launch_template${said}`)]);
    expect(rf906('var.r', ifBrace, true)).toEqual([expect.stringContaining(`module.runner.aws_launch_template${said}`)]);
  });
  it('a call over an object in a module, where a table goes: the whole call', () => {
    const messages = rf906('jsonencode({ a = var.r })', (tpl) => tpl.replace('    BucketLocation = "${region}"', '${region}'), true);
    expect(messages).toEqual([expect.stringContaining('is TOML only once Terraform fills in ${module.runner.jsonencode({ a = var.r })} and 1 more; they are known only when Terraform runs: this runner manager is not proven')]);
  });
  it('the reason of another directive whose tag reads the same to its first brace is not said', () => {
    const two = (tpl: string) => ifBrace(tpl).replace('set -euo pipefail\n', 'set -euo pipefail\n%{ if region == "}x" }echo x%{ endif }\n');
    expect(rf906('var.r', two)).toEqual([expect.stringContaining('fills in %{ endif } and 3 more; they are known only when Terraform runs: this runner manager is not proven')]);
  });
  it('the passing twin: the reason of the directive the config.toml holds is said', () => {
    const two = (tpl: string) => ifBrace(tpl).replace('set -euo pipefail\n', 'set -euo pipefail\n%{ if region == "}" }echo x%{ endif }\n');
    expect(rf906('var.r', two)).toEqual([expect.stringContaining('fills in %{ if region == "}" } and 4 more; the condition of %{ if region == "}" } is not known: var.r has no default')]);
  });
});

describe('a worker launch template whose user data file is not given: RF106 in the deployment\'s terms', () => {
  const main = readFileSync(join(CORPUS, 'ec2-autoscaler-hand-written', 'main.tf'), 'utf8');
  const withUserData = (path: string) => {
    expect(main).toContain('  name_prefix            = "gitlab-ci-worker-"\n');
    return { path, bytes: enc(main.replace('  name_prefix            = "gitlab-ci-worker-"\n', '  name_prefix            = "gitlab-ci-worker-"\n  user_data              = filebase64("${path.module}/scripts/workers.sh")\n')) };
  };
  it('filebase64() of a file not given: the file as the files given name it, and to give it', () => {
    const rf106 = doctor([withUserData('infra/main.tf')]).findings.filter((f) => f.code === 'RF106');
    expect(rf106.map((f) => [f.message, f.fix])).toEqual([['aws_launch_template.workers: its user data is the file infra/scripts/workers.sh, which is not among the files given, so its downloads and credentials are not checked', 'give infra/scripts/workers.sh with the Terraform files']]);
    expect(rf106[0]!.path).toMatch(/^infra\/main\.tf:\d+:\d+$/);
  });
  it('the passing twin: the file given, no RF106', () => {
    const r = doctor([withUserData('infra/main.tf'), { path: 'infra/scripts/workers.sh', bytes: enc('#!/bin/bash\nset -euo pipefail\ndnf install -y docker\n') }]);
    expect(r.findings.filter((f) => f.code === 'RF106')).toEqual([]);
  });
});
