import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHcl } from '../src/doctor/hcl/parse.js';
import { addHclBody, emptyModule, hclLoc } from '../src/doctor/hcl/config.js';
import { MAX_TEMPLATE_ITERATIONS, MAX_TEMPLATE_TEXT, ModuleEvaluator, Unknown, type Value } from '../src/doctor/hcl/eval.js';
import { MAX_FILE_BYTES } from '../src/doctor/read.js';
import { calledModuleFolders, moduleFileReferences } from '../src/doctor/hcl/read.js';
import { evaluateTerraform, normalizeTerraform, renderPolicyDocument } from '../src/doctor/terraform.js';
import { doctor, readEvidence, type InputFile } from '../src/doctor/index.js';
import { baseDeployment, corpusFiles, deploymentFiles, type Deployment } from './helpers/doctor.js';
import { exampleFiles, planExample } from './helpers/fleet.js';
import { caseDir } from './helpers/corpus-case.js';

/** Evaluates `local.x` of a module written as HCL (with `fixtures` around it). */
function evalLocal(expr: string, fixtures = ''): { value: Value; broken: string[] } {
  const text = `${fixtures}\nlocals {\n  x = ${expr}\n}\n`;
  const mod = emptyModule('.');
  addHclBody(mod, parseHcl(text), hclLoc('t.tf', text), (path) => ({ source: undefined as never, doc: 0, path }), () => undefined);
  const ev = new ModuleEvaluator(mod, { renderPolicy: renderPolicyDocument });
  const value = ev.local({ k: 'var', name: 'x', at: 0, end: 0 }, { loc: hclLoc('t.tf', text), vars: new Map() }, 'x');
  return { value, broken: [...ev.broken.values()].map((r) => `${r.at.line}:${r.at.column} ${r.message}`) };
}

const FIXTURES = `
locals {
  n        = 3
  list     = [{ a = 1 }, { a = 2 }]
  oidc_arn = "arn:aws:iam::111122223333:oidc-provider/example"
}
variable "with_default" {
  default = "d"
}
variable "nodefault" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
provider "aws" {
  alias = "other"
}
data "aws_caller_identity" "other" {
  provider = aws.other
}
resource "aws_iam_role" "x" {
  name = "role-x"
}
module "m" {
  source = "./m"
}
`;

describe('HCL expressions evaluate as Terraform evaluates them before apply', () => {
  const known: [string, Value][] = [
    ['"a-${local.n}-b"', 'a-3-b'],
    ['<<-EOT\n    a\n      b ${local.n}\n    EOT\n', 'a\n  b 3\n'],
    ['<<EOT\nplain $${x}\nEOT\n', 'plain ${x}\n'],
    ['[for k, v in { a = 1, b = 2 } : "${k}=${v}"]', ['a=1', 'b=2']],
    ['{ for s in ["x", "y"] : s => upper(s) }', { x: 'X', y: 'Y' }],
    // Over a set the key is the element (HCL iterates a set by its values); over a list, the index.
    ['[for k, v in toset(["b", "a", "b"]) : "${k}=${v}"]', ['a=a', 'b=b']],
    ['[for k, v in ["b", "a"] : "${k}=${v}"]', ['0=b', '1=a']],
    ['[for s in ["a", "bb", "c"] : s if length(s) == 1]', ['a', 'c']],
    ['{ for p in [{ k = "a", v = 1 }, { k = "a", v = 2 }] : p.k => p.v... }', { a: [1, 2] }],
    ['local.n > 2 ? "big" : "small"', 'big'],
    // The default provider's account, stated nowhere: the deployment's own (one account, named as the doctor names it).
    ['"arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"', 'arn:aws:iam::000000000000:root'],
    // The partition of the provider configuration (no region, no ARN of another partition: aws), as ARNs are built.
    ['"arn:${data.aws_partition.current.partition}:s3:::b ${data.aws_partition.current.dns_suffix}"', 'arn:aws:s3:::b amazonaws.com'],
    ['1 + 2 * 3 - 4 / 2', 5],
    ['!(1 < 2) || 3 >= 3 && local.n != 4', true],
    // An operand exactly true decides ||, exactly false decides &&, whatever the other (Terraform's values do so):
    // robpearce-flux/terraform-aws-gitlab-runner's `count = var.cache_bucket["create"] || … != "" ? 1 : 0` form.
    ['aws_iam_role.x.arn == "" || true', true],
    ['true || aws_iam_role.x.arn == ""', true],
    ['false && aws_iam_role.x.arn == ""', false],
    ['aws_iam_role.x.arn == "" && false', false],
    // The length of a list or map whose elements only apply knows.
    ['length([aws_iam_role.x.arn, 1])', 2],
    ['length({ a = aws_iam_role.x.arn })', 1],
    ['-local.n', -3],
    ['replace("a.b.c", ".", "-")', 'a-b-c'],
    ['replace("abc123", "/[0-9]+/", "")', 'abc'],
    // A search in slashes is an RE2 regular expression; the replacement expands as Go's Regexp.Expand does.
    ['replace("arn:aws:iam::111122223333:oidc-provider/oidc.eks.eu-west-1.amazonaws.com/id/AB12", "/^(.*provider/)/", "")', 'oidc.eks.eu-west-1.amazonaws.com/id/AB12'],
    ['replace("a-b", "/(\\\\w)-(\\\\w)/", "$2-$${1}")', 'b-a'],
    ['replace("ab", "/(?<x>a)/", "[$x]")', '[a]b'],
    // `$1x` names a group "1x" (Go takes the longest name), which does not exist: empty, not group 1 then "x".
    ['replace("ab", "/(a)/", "$1x")', 'b'],
    ['replace("a$b", "/[$]/", "$$")', 'a$b'],
    ['format("%s/%d:%q", "r", 7, "x")', 'r/7:"x"'],
    ['lower("ABC")', 'abc'],
    ['concat(["a"], ["b", "c"])', ['a', 'b', 'c']],
    ['merge({ a = 1 }, { b = 2 }, { a = 3 })', { a: 3, b: 2 }],
    ['toset(["b", "a", "b"])', ['a', 'b']],
    ['tolist(["x"])', ['x']],
    ['jsonencode({ b = [1, true, null], a = "x" })', '{"a":"x","b":[1,true,null]}'],
    ['local.list[*].a', [1, 2]],
    ['local.list.*.a', [1, 2]],
    ['local.list.1.a', 2],
    ['"$${literal} %%{x}"', '${literal} %{x}'],
    ['"\\u00e9\\t\\"q\\""', 'é\t"q"'],
    ['/* c */ 1 # x', 1],
    ['length("héllo")', 5],
    ['join(",", split("-", "a-b"))', 'a,b'],
    // try(): the first argument that evaluates; one that fails (a function on arguments it refuses) is passed over.
    ['try(base64decode("not base64!"), "fallback")', 'fallback'],
    ['try({ a = local.n }, "fallback")', { a: 3 }],
    ['lookup({ a = 1 }, "b", 2)', 2],
    ['element(["a", "b"], 3)', 'b'],
    ['coalesce("", "x")', 'x'],
    ['trimprefix("arn:x", "arn:")', 'x'],
    ['keys({ b = 1, a = 2 })', ['a', 'b']],
    ['[\n    1, 2,\n    3,\n  ]', [1, 2, 3]],
    ['{\n    a = 1\n    "b" : "x"\n    (local.oidc_arn) = 2\n  }', { a: 1, b: 'x', 'arn:aws:iam::111122223333:oidc-provider/example': 2 }],
    ['var.with_default', 'd'],
    ['flatten([["a"], [["b"]]])', ['a', 'b']],
    ['distinct(["a", "a"])', ['a']],
    ['zipmap(["a"], [1])', { a: 1 }],
    // parseint(), as cattle-ops/terraform-aws-gitlab-runner reads its runner version (before: RF906, not evaluated).
    ['parseint("FF", 16) + parseint("-11", 2) + parseint("zZ", 62)', 255 - 3 + 35 * 62 + 61],
    ['(parseint(split(".", "17.3.1")[0], 10) == 16 && parseint(split(".", "17.3.1")[1], 10) >= 11) || parseint(split(".", "17.3.1")[0], 10) > 16', true],
    ['try(parseint("12", 2), "not binary")', 'not binary'],
    ['"%{if true}x%{endif}"', 'x'],
    ['"%{ for config in local.list ~}${config.a},%{~ endfor }"', '1,2,'],
  ];
  it.each(known)('%s', (expr, expected) => {
    const { value, broken } = evalLocal(expr, FIXTURES);
    expect(broken).toEqual([]);
    expect(value).toEqual(expected);
  });

  // What only apply knows stays a symbol, rendered as the .tf.json reference.
  const unknown: [string, string, RegExp][] = [
    ['data.aws_caller_identity.other.account_id', '${data.aws_caller_identity.other.account_id}', /known only when Terraform reads the data source/],
    ['aws_iam_role.x.arn', '${aws_iam_role.x.arn}', /known only after apply/],
    ['"arn:${aws_iam_role.x.arn}:${local.n}"', 'arn:${aws_iam_role.x.arn}:3', /after apply/],
    ['upper(aws_iam_role.x.arn)', '${upper(aws_iam_role.x.arn)}', /after apply/],
    // Attributes of resources stay references even when written literally: .tf.json keeps them so, and the proofs resolve them.
    ['aws_iam_role.x.name == "role-x" ? 1 : 0', '${aws_iam_role.x.name == "role-x" ? 1 : 0}', /aws_iam_role\.x\.name is known only after apply/],
    ['var.nodefault', '${var.nodefault}', /has no default/],
    ['false || aws_iam_role.x.arn == ""', '${false || aws_iam_role.x.arn == ""}', /after apply/],
    ['true && aws_iam_role.x.arn == ""', '${true && aws_iam_role.x.arn == ""}', /after apply/],
    ['formatdate("YYYY", "2018-01-02T23:12:01Z")', '${formatdate("YYYY", "2018-01-02T23:12:01Z")}', /does not evaluate the function formatdate/],
    // A template directive over a known collection is rendered; what only apply knows around it stays a symbol.
    ['"%{ for k, v in local.list }${k}=${v.a}%{ endfor }${aws_iam_role.x.arn}"', '0=11=2${aws_iam_role.x.arn}', /aws_iam_role\.x\.arn is known only after apply/],
    // Over an unknown collection the directive stays as written, and the names it binds are its own inside it: not
    // resources (before: RF903 "config.name is not in the files given" for cattle-ops/terraform-aws-gitlab-runner's
    // runners_docker_services.tftpl).
    ['"%{ for config in var.nodefault ~}${config.name},%{~ endfor }"', '${%{ for config in var.nodefault ~}}${config.name},${%{~ endfor }}', /^the collection of %\{ for config in var\.nodefault ~\} is not known: var\.nodefault has no default/],
    // RE2 syntax JavaScript reads otherwise, or matches that RE2 and JavaScript replace differently: not evaluated.
    ['replace("ab", "/(?P<x>a)/", "")', '${replace("ab", "/(?P<x>a)/", "")}', /does not read the way RE2 does/],
    ['replace("AB", "/(?i)a/", "")', '${replace("AB", "/(?i)a/", "")}', /does not read the way RE2 does/],
    ['replace("a b", "/\\\\s/", "")', '${replace("a b", "/\\\\s/", "")}', /does not read the way RE2 does/],
    ['replace("baaac", "/a*/", "-")', '${replace("baaac", "/a*/", "-")}', /matches empty text right after a match/],
    // try() over a value only apply knows is unknown until then, as Terraform's (it cannot tell yet whether it fails): never the fallback.
    ['try(aws_iam_role.x.arn, "fallback")', '${try(aws_iam_role.x.arn, "fallback")}', /aws_iam_role\.x\.arn is known only after apply/],
    ['try(base64decode("not base64!"), { a = aws_iam_role.x.arn }, "fallback")', '${try(base64decode("not base64!"), { a = aws_iam_role.x.arn }, "fallback")}', /after apply/],
  ];
  it.each(unknown)('%s is unknown', (expr, render, why) => {
    const { value, broken } = evalLocal(expr, FIXTURES);
    expect(broken).toEqual([]);
    expect(value).toBeInstanceOf(Unknown);
    expect((value as Unknown).render).toBe(render);
    expect((value as Unknown).reason.code).toBe('RF906');
    expect((value as Unknown).reason.message).toMatch(why);
  });

  // A reference that names nothing: a finding at its position, with the nearest name when there is one.
  const broken: [string, RegExp][] = [
    ['local.oidc.arn', /^\d+:7 local\.oidc names no local value of this module; did you mean local\.oidc_arn \(t\.tf:5:3\)\?/],
    ['local.nope', /local\.nope names no local value/],
    ['var.nope', /var\.nope names no variable/],
    ['aws_iam_role.y.arn', /aws_iam_role\.y names no resource of this module; did you mean aws_iam_role\.x/],
    ['aws_iam_rol.x.arn', /aws_iam_rol\.x names no resource type of this module; did you mean aws_iam_role\.x/],
    ['module.other.x', /module\.other names no module block/],
    ['{ a = 1 }.b', /has no attribute b/],
    // The expression indexed is named: the index alone (`index 1`) does not say which list, or where it came from.
    ['local.list[5]', /local\.list\[5\]: index 5 is out of range \(the list has \d+ items?\)/],
    // A broken reference is an error Terraform reports, even beside an operand that decides.
    ['true || local.nope', /local\.nope names no local value/],
    ['each.key', /each is used in a block without for_each/],
  ];
  it.each(broken)('%s names nothing (RF913)', (expr, message) => {
    const { value, broken: found } = evalLocal(expr, FIXTURES);
    expect(value).toBeInstanceOf(Unknown);
    expect((value as Unknown).reason.code).toBe('RF913');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });

  // A resource or data source that no file given declares, and whose name is near none of its type:
  // it may be declared in a file that was not given, so it is missing evidence, not a defect.
  const missing: [string, RegExp][] = [
    ['data.aws_iam_policy_document.t.json', /^\d+:7 data\.aws_iam_policy_document\.t is not in the files given/],
    ['aws_eks_cluster.devops.identity[0].oidc[0].issuer', /aws_eks_cluster\.devops is not in the files given \(no resource of that name in this module's files\)/],
    ['aws_iam_role.jobs.arn', /aws_iam_role\.jobs is not in the files given/],
    // A local module whose folder was not given: said once, at the module block.
    ['module.m.role_arn', /^\d+:1 not in the evidence given: module "m" from \.\/m is not read/],
  ];
  it.each(missing)('%s is not in the files given (RF903, info)', (expr, message) => {
    const { value, broken: found } = evalLocal(expr, FIXTURES);
    expect(value).toBeInstanceOf(Unknown);
    expect((value as Unknown).reason.code).toBe('RF903');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
  });
});

describe('template directives (%{if}, %{for}) render as Terraform renders them', () => {
  const FIX = `${FIXTURES}
locals {
  m     = { b = 2, a = 1, c = 3 }
  flag  = true
  words = ["x", "y"]
}
`;
  const rendered: [string, Value][] = [
    ['"%{if local.flag}on%{else}off%{endif}"', 'on'],
    ['"%{if !local.flag}on%{else}off%{endif}"', 'off'],
    ['"a%{if false}x%{endif}b"', 'ab'],
    // A condition converts to bool as Terraform converts it: the strings "true" and "false" are bools.
    ['"%{if "false"}x%{else}y%{endif}"', 'y'],
    // A map iterates in lexical key order; a list by index; a set by its elements (key and value alike).
    ['"%{ for k, v in local.m }${k}=${v};%{ endfor }"', 'a=1;b=2;c=3;'],
    ['"%{ for i, w in local.words }${i}${w}%{ endfor }"', '0x1y'],
    ['"%{ for k, v in toset(["b", "a", "b"]) }${k}${v}%{ endfor }"', 'aabb'],
    ['"%{ for v in [] }x%{ endfor }"', ''],
    // Nested: a body uses the names its directive binds, an outer directive's, and the module's own.
    ['"%{ for w in local.words }%{ for v in local.list }${w}${v.a}${local.n}%{ if v.a == 2 };%{ endif }%{ endfor }%{ endfor }"', 'x13x23;y13y23;'],
    // A bound name shadows a local value of the same name only inside its directive.
    ['"%{ for local in ["in"] }${local}%{ endfor }${local.n}"', 'in3'],
    // Strip markers: in a quoted string `~` trims all the white space next to it.
    ['"a  %{~ if true ~}  b  %{~ endif ~}  c"', 'abc'],
    ['"${~ "x" ~}  y"', 'xy'],
    // In a heredoc each line is its own literal: `~}` takes the rest of its line and its newline, not the next line's indentation.
    ['<<EOT\n[runners.docker]\n  %{~ for k, v in local.m ~}\n    ${k} = ${v}\n  %{~ endfor ~}\nend\nEOT\n', '[runners.docker]\n    a = 1\n    b = 2\n    c = 3\nend\n'],
    ['<<EOT\n%{ for w in local.words ~}\nserver ${w}\n%{ endfor ~}\nEOT\n', 'server x\nserver y\n'],
    // <<- flushes after the strip markers, as HCL does: a line whose newline `~}` took is no line start, so its
    // next line keeps its indentation (HCL's flushHeredocTemplateParts counts only literals after a newline).
    ['<<-EOT\n    a\n    %{ if true ~}\n      b\n    %{ endif ~}\n    EOT\n', 'a\n      b\n'],
    ['<<-EOT\n    a\n    %{ if true }\n      b\n    %{ endif }\n    EOT\n', 'a\n\n  b\n\n'],
    ['"%%{if} $${x}"', '%{if} ${x}'],
  ];
  it.each(rendered)('%s', (expr, expected) => {
    const { value, broken } = evalLocal(expr, FIX);
    expect(broken).toEqual([]);
    expect(value).toEqual(expected);
  });

  // A condition or collection only apply knows: the template stays unknown, the directive as written, the reason at it.
  const unknown: [string, string, RegExp][] = [
    ['"%{ if var.nodefault }a%{ else }b%{ endif }"', '${%{ if var.nodefault }}a${%{ else }}b${%{ endif }}', /^\d+:8 the condition of %\{ if var\.nodefault \} is not known: var\.nodefault has no default/],
    ['"x%{ for k, v in var.nodefault }${k}=${v}%{ endfor }"', 'x${%{ for k, v in var.nodefault }}${k}=${v}${%{ endfor }}', /^\d+:9 the collection of %\{ for k, v in var\.nodefault \} is not known: var\.nodefault has no default/],
    ['"%{ for r in local.words }${r}:${aws_iam_role.x.arn},%{ endfor }"', 'x:${aws_iam_role.x.arn},y:${aws_iam_role.x.arn},', /^\d+:\d+ aws_iam_role\.x\.arn is known only after apply/],
    // Inside a directive not known here, a part Terraform may never reach is no finding.
    ['"%{ if var.nodefault }%{ for c in "abc" }x%{ endfor }%{ endif }"', '${%{ if var.nodefault }}${"abc"}${%{ endif }}', /the condition of/],
  ];
  it.each(unknown)('%s is unknown', (expr, render, why) => {
    const { value, broken } = evalLocal(expr, FIX);
    expect(broken).toEqual([]);
    expect(value).toBeInstanceOf(Unknown);
    const u = value as Unknown;
    expect(u.render).toBe(render);
    expect(u.reason.code).toBe('RF906');
    expect(`${u.reason.at.line}:${u.reason.at.column} ${u.reason.message}`).toMatch(why);
  });

  // What Terraform refuses to render: RF906 at the value, in Terraform's terms, and the template fails (try() catches it).
  const refused: [string, RegExp][] = [
    ['"%{ if "yes" }a%{ endif }"', /^\d+:14 Terraform refuses %\{ if "yes" \}: its condition must be a bool, and the string "yes" is not$/],
    ['"%{ if local.n }a%{ endif }"', /its condition must be a bool, and the number 3 is not/],
    ['"%{ if null }a%{ endif }"', /its condition is null/],
    ['"%{ for c in "abc" }x%{ endfor }"', /^\d+:20 Terraform refuses %\{ for c in "abc" \}: the string "abc" cannot be iterated; a %\{for\} takes a list, set, tuple, map or object$/],
    ['"%{ for c in null }x%{ endfor }"', /its collection is null/],
  ];
  it.each(refused)('%s is refused', (expr, message) => {
    const { value, broken } = evalLocal(expr, FIX);
    expect(value).toBeInstanceOf(Unknown);
    expect((value as Unknown).reason.failed).toBe(true);
    expect(broken).toHaveLength(1);
    expect(broken[0]).toMatch(message);
    const caught = evalLocal(`try(${expr}, "fallback")`, FIX);
    expect(caught).toEqual({ value: 'fallback', broken: [] });
  });

  const malformed: [string, RegExp][] = [
    ['"%{ endif }"', /unexpected %\{endif\}: no %\{if\} is open/],
    ['"%{ if true }a"', /the %\{if\} opened here is not closed: expected %\{endif\}/],
    ['"%{ for x in [] }a%{ endif }"', /unexpected %\{endif\} inside %\{for\}: expected %\{endfor\}/],
    ['"%{ if true }a%{ else }b%{ else }c%{ endif }"', /unexpected %\{else\} inside %\{else\}: expected %\{endif\}/],
    ['"%{ while true }a"', /expected if, else, endif, for or endfor after %\{, found "while/],
    ['"%{ for x [] }a%{ endfor }"', /expected in after the variables of %\{for/],
    ['"%{ if true a"', /expected \} to close the %\{if\} directive/],
  ];
  it.each(malformed)('%s is a syntax error at its position', (expr, message) => {
    expect(() => parseHcl(`x = ${expr}\n`)).toThrow(message);
  });

  it('templatefile(): a %{for} over a map and a %{if} over a bool of its variables, positions in the template', () => {
    const dir = join(import.meta.dirname, 'doctor', 'corpus', 'ec2-docker-templatefile-directives');
    const files = corpusFiles(dir);
    const proven = doctor(files);
    expect(proven.findings.filter((f) => f.code === 'RF906' || f.code === 'RF910')).toEqual([]);
    expect(proven.proofs.map((p) => p.holds)).toEqual([true, true, true, true, true, true, true]);
    // The %{if} decides: with privileged = true the jobs run privileged (RF301).
    const privileged = doctor(files.map((f) => (f.path.endsWith('main.tf') ? { ...f, bytes: enc(new TextDecoder().decode(f.bytes).replace('default = false', 'default = true')) } : f)));
    expect(privileged.findings.filter((f) => f.code === 'RF301').map((f) => f.path)).toEqual([expect.stringMatching(/main\.tf:\d+:\d+$/)]);
    // A type error in the template is a finding at the template's line and column.
    const broken = doctor(files.map((f) => (f.path.endsWith('.tftpl') ? { ...f, bytes: enc(new TextDecoder().decode(f.bytes).replace('%{~ if privileged ~}', '%{~ if runner_name ~}')) } : f)));
    const lines = new TextDecoder().decode(files.find((f) => f.path.endsWith('.tftpl'))!.bytes).split('\n');
    const line = lines.findIndex((l) => l.includes('%{~ if privileged ~}')) + 1;
    expect(broken.findings.find((f) => f.code === 'RF906' && /Terraform refuses %\{~ if runner_name ~\}: its condition must be a bool, and the string "docker-ci" is not/.test(f.message))?.path).toBe(`user-data.sh.tftpl:${line}:${lines[line - 1]!.indexOf('privileged') + 1}`);
  });

  it('a file the Terraform reads whatever its extension (file("${path.module}/gitlab-ca.crt")) is evidence: a %{if} over it renders', () => {
    // cattle-ops/terraform-aws-gitlab-runner's runner-certificates example: before, the .crt was skipped (RF902) and
    // file() was "not in the evidence given" (RF903), so the %{if} over it left the config.toml unknown (RF906).
    const dir = join(import.meta.dirname, 'doctor', 'corpus', 'ec2-docker-templatefile-directives');
    const edit = (f: InputFile, from: string, to: string): InputFile => ({ ...f, bytes: enc(new TextDecoder().decode(f.bytes).replace(from, to)) });
    const files = corpusFiles(dir).map((f) => (f.path === 'main.tf' ? edit(f, '    privileged     = var.privileged\n', '    privileged     = var.privileged\n    ca             = file("${path.module}/gitlab-ca.crt")\n') : f.path.endsWith('.tftpl') ? edit(f, '  executor = "docker"\n', '  executor = "docker"\n  %{~ if length(ca) > 0 ~}\n  tls-ca-file = "/etc/gitlab-runner/certs/gitlab-ca.crt"\n  %{~ endif ~}\n') : f));
    const r = doctor([...files, { path: 'gitlab-ca.crt', bytes: enc('-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUExample\n-----END CERTIFICATE-----\n') }]);
    expect(r.findings.filter((f) => ['RF902', 'RF903', 'RF906', 'RF910', 'RF940'].includes(f.code))).toEqual([]);
    expect(r.proofs.map((p) => p.holds)).toEqual([true, true, true, true, true, true, true]);
  });

  it('a %{for} of 10,000 iterations renders in linear time; past the caps the template is RF906, not a hang', () => {
    const big = evalLocal('"%{ for i, v in local.big }${i},%{ endfor }"', `locals {\n  big = [${Array.from({ length: 10_000 }, () => '1').join(', ')}]\n}\n`);
    expect(typeof big.value === 'string' && big.value.length).toBe(Array.from({ length: 10_000 }, (_, i) => `${i},`).join('').length);
    // A loop in a loop runs per pair: 2,000 × 2,000 iterations pass the iteration cap.
    const list = `[${Array.from({ length: 2_000 }, () => '1').join(', ')}]`;
    const start = Date.now();
    const pairs = evalLocal(`"%{ for a in local.l }%{ for b in local.l }%{ endfor }%{ endfor }"`, `locals {\n  l = ${list}\n}\n`);
    expect(Date.now() - start).toBeLessThan(20_000);
    expect((pairs.value as Unknown).reason.message).toBe(`this template's %{for} directives run more than ${MAX_TEMPLATE_ITERATIONS.toLocaleString('en-US')} iterations; the doctor stops there`);
    // Text past 10 MiB (the most the doctor reads of a file).
    const wide = evalLocal(`"%{ for a in local.l }%{ for b in local.l }${'x'.repeat(20)}%{ endfor }%{ endfor }"`, `locals {\n  l = [${Array.from({ length: 1_000 }, () => '1').join(', ')}]\n}\n`);
    expect((wide.value as Unknown).reason.message).toMatch(/^this template renders more than 10 MiB of text/);
    expect(MAX_TEMPLATE_TEXT).toBe(MAX_FILE_BYTES);
  });
});

const CORPUS = join(import.meta.dirname, 'doctor', 'hcl');
const enc = (s: string) => new TextEncoder().encode(s);

/** The hand-wired IRSA deployment of helpers/doctor.ts with its IAM written in HCL (the case folder) instead of JSON. */
function withHcl(dir: string, mutate?: (d: Deployment) => void): InputFile[] {
  const d = baseDeployment();
  d.policies = {};
  mutate?.(d);
  const hcl = readdirSync(join(CORPUS, dir)).filter((f) => f.endsWith('.tf'));
  return [...deploymentFiles(d), ...hcl.map((f) => ({ path: `deploy/iam/${f}`, bytes: readFileSync(join(CORPUS, dir, f)) }))];
}

const renameManagerSa = (d: Deployment) => {
  const sa = d.objects.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === 'gitlab-runner')!;
  sa.metadata.name = 'gitlab-runner-common';
  d.values.serviceAccount.name = 'gitlab-runner-common';
  d.objects.find((o) => o.kind === 'RoleBinding')!.subjects[0].name = 'gitlab-runner-common';
};

describe('a variable takes the value Terraform gives it: converted to its declared type', () => {
  // The conversion Terraform applies to a default and to a module argument alike (optional attributes
  // with defaults, Terraform 1.3+): found running the doctor on cattle-ops/terraform-aws-gitlab-runner,
  // where every `var.runner_worker.type` of `default = {}` was a false RF913 (741 errors).
  const WORKER = `
variable "worker" {
  type = object({
    type     = optional(string, "docker-autoscaler")
    max_jobs = optional(number)
    name     = string
    ssm      = optional(object({ enabled = optional(bool, true), prefix = optional(string, "/ci") }), {})
    tags     = optional(map(string), {})
  })
  default = { name = "w", extra = "dropped" }
}
variable "pools" {
  type    = map(object({ size = optional(number, 2), labels = optional(list(string), ["x"]) }))
  default = { a = {}, b = { size = "5", labels = null } }
}
variable "subnets" {
  type    = list(object({ id = string, public = optional(bool, false) }))
  default = [{ id = "s-1" }, { id = "s-2", public = "true" }]
}
variable "count_text" {
  type    = string
  default = 5
}
variable "names" {
  type    = set(string)
  default = ["b", "a", "b"]
}
variable "untyped" {
  default = { name = "w" }
}
`;
  const converted: [string, Value][] = [
    // Optional attributes left out take their default, or null; an attribute the type does not declare is dropped.
    ['var.worker', { type: 'docker-autoscaler', max_jobs: null, name: 'w', ssm: { enabled: true, prefix: '/ci' }, tags: {} }],
    ['var.worker.type == "docker-autoscaler" ? 1 : 0', 1],
    // A default of an optional object is itself converted: its own optional attributes are filled.
    ['var.worker.ssm.prefix', '/ci'],
    // Element by element in collections; null counts as left out; a number given as text becomes a number.
    ['var.pools', { a: { size: 2, labels: ['x'] }, b: { size: 5, labels: ['x'] } }],
    ['[for s in var.subnets : s.public]', [false, true]],
    ['var.count_text', '5'],
    ['var.names', ['a', 'b']],
    // Without a type, nothing is converted.
    ['var.untyped', { name: 'w' }],
  ];
  it.each(converted)('%s', (expr, expected) => {
    const { value, broken } = evalLocal(expr, WORKER);
    expect(broken).toEqual([]);
    expect(value).toEqual(expected);
  });

  it('an attribute the type does not have is still RF913, and so is one it dropped', () => {
    expect(evalLocal('var.worker.typo', WORKER).broken.join('\n')).toMatch(/var\.worker\.typo: the object has no attribute typo/);
    expect(evalLocal('var.worker.extra', WORKER).broken.join('\n')).toMatch(/has no attribute extra/);
    expect(evalLocal('var.untyped.type', WORKER).broken.join('\n')).toMatch(/has no attribute type/);
  });

  it('a module argument is converted to the called module\'s variable type, in HCL and in .tf.json', () => {
    const caller = 'module "runner" {\n  source = "./m"\n  worker = { name = "w" }\n}\n';
    const hcl = 'variable "worker" {\n  type = object({ name = string, type = optional(string, "docker+machine") })\n}\nresource "aws_iam_role" "r" {\n  name = "ci-${var.worker.type}"\n}\n';
    const json = JSON.stringify({ variable: { worker: { type: 'object({ name = string, type = optional(string, "docker+machine") })' } }, resource: { aws_iam_role: { r: { name: 'ci-${var.worker.type}' } } } });
    for (const module of [{ path: 'deploy/m/main.tf', text: hcl }, { path: 'deploy/m/main.tf.json', text: json }]) {
      const ev = readEvidence([{ path: 'deploy/main.tf', bytes: Buffer.from(caller) }, { path: module.path, bytes: Buffer.from(module.text) }]);
      expect(evaluateTerraform(ev).filter((f) => f.code === 'RF913' || f.code === 'RF906')).toEqual([]);
      const roles = Object.values(ev.terraform.resource.aws_iam_role ?? {}) as { name?: unknown }[];
      expect(roles.map((r) => r.name)).toEqual(['ci-docker+machine']);
    }
  });
});

describe('doctor over hand-written HCL (test/doctor/hcl)', () => {
  it('irsa-guide: the chain written as in the EKS IRSA guide is proven, no error', () => {
    const r = doctor(withHcl('irsa-guide'));
    expect(r.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(r.proofs.filter((p) => /^only .* can assume/.test(p.claim) && p.holds)).toHaveLength(2);
    expect(r.proofs.some((p) => p.claim.includes('reads and writes runner/ in cache') && p.holds)).toBe(true);
    expect(r.proofs.filter((p) => !p.holds)).toEqual([]);
  });

  it('drift-local: identifiers = [local.oidc.arn] while the local is oidc_arn → RF913 with both ends', () => {
    const r = doctor(withHcl('drift-local'));
    const f = r.findings.filter((x) => x.code === 'RF913');
    expect(f).toHaveLength(1);
    expect(f[0]!.path).toBe('deploy/iam/iam.tf:18:22');
    expect(f[0]!.message).toBe('local.oidc names no local value of this module; did you mean local.oidc_arn (deploy/iam/iam.tf:7:3)?');
    expect(r.exitCode).toBe(1);
    // Said once, at the reference: no RF906 for the documents that use it, no dangling policy (RF106).
    expect(r.findings.filter((x) => x.code === 'RF906' || x.code === 'RF106')).toEqual([]);
    // The role whose trust cannot be evaluated is not proven, and says so.
    expect(r.findings.some((x) => x.code === 'RF903' && x.message.includes('gitlab-runner-manager'))).toBe(true);
  });

  it('drift-sub: the trust admits gitlab-runner, the chart runs gitlab-runner-common → RF104 pointing into the HCL', () => {
    const r = doctor(withHcl('irsa-guide', renameManagerSa));
    const f = r.findings.filter((x) => x.code === 'RF104');
    expect(f.length).toBeGreaterThan(0);
    // The other end: the trust subject naming a service account that does not exist, at the subject's line.
    expect(r.findings.find((x) => x.code === 'RF904' && x.message.startsWith('role gitlab-runner-manager trusts'))?.path).toBe('deploy/iam/iam.tf:24:18');
    expect(f[0]!.message).toMatch(/^ServiceAccount gitlab\/gitlab-runner-common \(deploy\/k8s\.yaml:\d+:\d+\) → manager role gitlab-runner-manager, whose trust \(deploy\/iam\/iam\.tf:24:18\) admits only system:serviceaccount:gitlab:gitlab-runner$/);
    expect(r.exitCode).toBe(1);
  });

  it('caller-identity: a trust built from data.aws_caller_identity names the deployment\'s own account, the one its roles are in', () => {
    const r = doctor(withHcl('caller-identity'));
    expect(r.findings.filter((x) => x.code === 'RF906' || x.code === 'RF913')).toEqual([]);
    // The role of iam.tf has no permission policy: the cache proof now reaches it, and says so (true).
    expect(r.findings.filter((x) => x.severity === 'error').map((x) => x.code)).toEqual(['RF201']);
    expect(r.proofs.filter((p) => /can assume the manager role gitlab-runner-manager/.test(p.claim)).map((p) => p.holds)).toEqual([true]);
  });

  it('module: registry modules are not followed → RF903 info, never an invented error', () => {
    // A registry module the doctor has no reading of (the fixture's call, pointed at another module).
    const files = withHcl('module').map((f) => (f.path === 'deploy/iam/iam.tf' ? { ...f, bytes: Buffer.from(Buffer.from(f.bytes).toString('utf8').replace('terraform-aws-modules/iam/aws//modules/iam-role-for-service-accounts-eks', 'example-corp/eks-irsa-role/aws')) } : f));
    const r = doctor(files);
    expect(r.findings.filter((x) => x.code === 'RF903').map((x) => x.path)).toContain('deploy/iam/iam.tf:5:1');
    expect(r.findings.filter((x) => x.code === 'RF913' || x.code === 'RF901')).toEqual([]);
  });

  it('module: terraform-aws-modules iam-role-for-service-accounts-eks is read as the role it documents (registry-modules.ts)', () => {
    const r = doctor(withHcl('module'));
    expect(r.findings.filter((x) => x.code === 'RF903').map((x) => x.path)).not.toContain('deploy/iam/iam.tf:5:1');
    expect(r.proofs.find((p) => p.claim.startsWith('only cluster:gitlab/gitlab-runner can assume the manager role gitlab-runner-manager'))?.holds).toBe(true);
    // The call attaches no policy (no role_policy_arns): the manager really cannot reach its cache.
    expect(r.findings.filter((x) => x.severity === 'error').map((x) => x.code)).toEqual(['RF201']);
  });

  it('broken-refs: every reference that names nothing is RF913 at its position, the rest is still read', () => {
    const r = doctor(withHcl('broken-refs'));
    const f = r.findings.filter((x) => x.code === 'RF913').map((x) => `${x.path} ${x.message}`);
    expect(f).toEqual(expect.arrayContaining([
      expect.stringMatching(/^deploy\/iam\/iam\.tf:19:12 aws_iam_role\.party has no instance "gitlab-runner-manger" \(instances: "gitlab-runner-jobs", "gitlab-runner-manager"\)/),
      expect.stringMatching(/^deploy\/iam\/iam\.tf:20:110 var\.bucket names no variable of this module/),
      expect.stringMatching(/^deploy\/iam\/iam\.tf:24:12 aws_iam_role\.parties names no resource of this module; did you mean aws_iam_role\.party/),
      expect.stringMatching(/^deploy\/iam\/iam\.tf:25:118 count\.index is used in a block without count/),
      expect.stringMatching(/^deploy\/iam\/iam\.tf:30:111 var\.namespaces names no variable of this module; did you mean var\.namespace/),
    ]));
    expect(f).toHaveLength(5);
  });

  it('the same finding from .tf.json: a template naming a missing local', () => {
    const d = baseDeployment();
    d.extra['deploy/iam.tf.json'] = JSON.stringify({ locals: { oidc_arn: 'x' }, resource: { aws_iam_role: { m: { name: 'm', assume_role_policy: '${jsonencode({Statement = [{Principal = {Federated = local.oidc.arn}}]})}' } } } }, null, 2);
    const r = doctor(deploymentFiles(d));
    const f = r.findings.find((x) => x.code === 'RF913')!;
    expect(f.message).toMatch(/^local\.oidc names no local value of this module; did you mean local\.oidc_arn \(deploy\/iam\.tf\.json:\d+:\d+\)\?/);
    expect(f.path).toMatch(/^deploy\/iam\.tf\.json:\d+:\d+$/);
  });

  it('.tf.json: a reference in a string, nested in an object, is found at the reference itself (line:column), as in .tf', () => {
    const json = JSON.stringify(
      {
        resource: {
          aws_iam_role: { runner: { name: 'a"b\\c-${local.missing}', assume_role_policy: '{"Version":"2012-10-17","Statement":[]}' } },
          kubernetes_service_account_v1: { sa: { metadata: { name: 'gitlab-runner', namespace: 'ci', annotations: { 'eks.amazonaws.com/role-arn': '${aws_iam_role.runnr.arn}' } } } },
        },
      },
      null,
      2,
    );
    const r = doctor([{ path: 'main.tf.json', bytes: enc(json) }]);
    const at = (needle: string) => {
      const lines = json.split('\n');
      const i = lines.findIndex((l) => l.includes(needle));
      return `main.tf.json:${i + 1}:${lines[i]!.indexOf(needle) + 1}`;
    };
    const rf913 = r.findings.filter((f) => f.code === 'RF913').map((f) => [f.path, f.message.split(' ')[0]]);
    // The first after two escaped characters (\" and \\, two characters each in the file).
    expect(rf913.sort()).toEqual(
      [
        [at('local.missing}'), 'local.missing'],
        [at('aws_iam_role.runnr.arn}'), 'aws_iam_role.runnr'],
      ].sort(),
    );
  });

  // How its CPU grows with a file's blocks is measured by `npm run bench` (bench/doctor-hcl.js, 1,000 and
  // 4,000 blocks), not here: a clock in a test fails on a busy machine (2.9 s for this file beside four
  // other test runs, against ~15 ms idle) and passes on a fast one whatever the growth.
  it('reads and evaluates 1,000 lines of HCL: 250 blocks, each with the local and its jsonencode', () => {
    const block = (i: number) => `resource "aws_iam_role" "r${i}" {\n  name = "role-\${local.p}-${i}"\n  assume_role_policy = jsonencode({ Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "ec2.amazonaws.com" } }] })\n}\n`;
    const text = `locals {\n  p = "x"\n}\n${Array.from({ length: 250 }, (_, i) => block(i)).join('')}`;
    const ev = readEvidence([{ path: 'big.tf', bytes: enc(text) }]);
    const { root, findings } = normalizeTerraform(ev);
    expect(findings).toEqual([]);
    expect(Object.keys(root.resource.aws_iam_role ?? {})).toHaveLength(250);
    expect(root.resource.aws_iam_role?.r7?.name).toBe('role-x-7');
    expect(root.resource.aws_iam_role?.r249?.name).toBe('role-x-249');
  });
});

describe('round trip: the eks-irsa example with its IAM written in HCL by hand', () => {
  it('gives exactly the proofs of the generated .tf.json (and of plan)', () => {
    const name = 'eks-irsa';
    const files = exampleFiles(name).map((f) => ({ path: f.path, bytes: enc(f.content) }));
    const key = (p: { runner: string; claim: string; holds: boolean }) => `${p.runner}|${p.claim}|${String(p.holds)}`;
    const fromJson = doctor(files);
    const fromHcl = doctor([...files.filter((f) => f.path !== 'terraform/aws/main.tf.json'), { path: 'terraform/aws/main.tf', bytes: readFileSync(join(CORPUS, 'eks-irsa', 'main.tf')) }]);
    expect(files.some((f) => f.path === 'terraform/aws/main.tf.json')).toBe(true);
    expect(fromHcl.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(fromHcl.proofs.map(key).sort()).toEqual(fromJson.proofs.map(key).sort());
    expect(fromHcl.proofs.map(key).sort()).toEqual(planExample(name).proofs.map(key).sort());
    expect(fromHcl.proofs.length).toBeGreaterThan(8);
  });
});

describe('mutated HCL never crashes or hangs the doctor', () => {
  // A seeded smoke: the corpus with characters deleted, duplicated or replaced by ones that matter
  // to the grammar. Every result is findings; a throw or a slow case fails the test.
  const files = readdirSync(CORPUS).flatMap((dir) => readdirSync(join(CORPUS, dir)).filter((f) => f.endsWith('.tf')).map((f) => readFileSync(join(CORPUS, dir, f), 'utf8')));
  const tricky = ['{', '}', '[', ']', '(', ')', '"', '$', '%', '\\', '\n', '<<', '<<-EOT\n', '#', '/*', '=', ':', '?', '...', '.', '*', '${', '%{', '\u0000', '\uFEFF', '->', '=>', 'for ', 'if '];
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  it('300 mutations: findings only, each in well under a second', () => {
    let slowest = 0;
    for (let i = 0; i < 300; i++) {
      let text = files[rand(files.length)]!;
      for (let j = 0; j < 1 + rand(4); j++) {
        const at = rand(text.length);
        const op = rand(3);
        const t = tricky[rand(tricky.length)]!;
        text = op === 0 ? text.slice(0, at) + text.slice(at + 1 + rand(20)) : op === 1 ? text.slice(0, at) + t + text.slice(at) : text.slice(0, at) + t + text.slice(at + 1);
      }
      const start = performance.now();
      const r = doctor([{ path: 'm/main.tf', bytes: enc(text) }]);
      slowest = Math.max(slowest, performance.now() - start);
      for (const f of r.findings) if (f.code === 'RF901') expect(f.path).toMatch(/^m\/main\.tf:\d+:\d+$/);
    }
    expect(slowest).toBeLessThan(2000);
  });
});

describe('names from user files stay data, never prototypes', () => {
  // Found by the doctor fuzzer (seed 20261205, case 4147): `resource "__proto__" "gitlab"` wrote
  // `gitlab` into Object.prototype, and every later spec parse in the process failed.
  const polluted = () => Object.keys(Object.prototype).concat(['gitlab', 'x', 'polluted', 'evil'].filter((k) => k in {}));

  it('a block type, block name, attribute, for-expression key or merge key named __proto__', () => {
    const { value } = evalLocal('merge({ a = 1 }, { for k in ["__proto__"] : k => { evil = true } })');
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value as object)).toEqual(['a', '__proto__']);
    expect((value as Record<string, unknown>).evil).toBeUndefined();
    const tf = `resource "__proto__" "gitlab" {\n  name = "x"\n}\nresource "aws_iam_role" "__proto__" {\n  name = "r"\n  __proto__ = { polluted = true }\n}\n`;
    const before = doctor(deploymentFiles(baseDeployment()));
    const files = [{ path: 'main.tf', bytes: new TextEncoder().encode(tf) }];
    const ev = readEvidence(files);
    const { root } = normalizeTerraform(ev);
    expect(polluted()).toEqual([]);
    expect(Object.getPrototypeOf(root.resource)).toBe(Object.prototype);
    expect(Object.keys(root.resource)).toEqual(['__proto__', 'aws_iam_role']);
    // As read (normalising leaves out a role without a trust policy).
    const roles = ev.terraform.resource.aws_iam_role!;
    expect(Object.getPrototypeOf(roles)).toBe(Object.prototype);
    expect(Object.keys(roles)).toEqual(['__proto__']);
    expect(roles['__proto__']!.name).toBe('r');
    expect(Object.getPrototypeOf(roles['__proto__']!)).toBe(Object.prototype);
    expect(Object.keys(roles['__proto__']!)).toContain('__proto__');
    expect(() => doctor(files)).not.toThrow();
    expect(polluted()).toEqual([]);
    // A policy document whose condition test or principal type is __proto__.
    const doc = `data "aws_iam_policy_document" "t" {\n  statement {\n    actions = ["sts:AssumeRole"]\n    principals {\n      type = "__proto__"\n      identifiers = ["x"]\n    }\n    condition {\n      test = "__proto__"\n      variable = "evil"\n      values = ["y"]\n    }\n  }\n}\nresource "aws_iam_role" "t" {\n  name = "t"\n  assume_role_policy = data.aws_iam_policy_document.t.json\n}\n`;
    const docEv = readEvidence([{ path: 'main.tf', bytes: new TextEncoder().encode(doc) }]);
    const normal = normalizeTerraform(docEv);
    expect(polluted()).toEqual([]);
    const trust = JSON.parse(String(normal.root.resource.aws_iam_role?.t?.assume_role_policy ?? docEv.terraform.resource.aws_iam_role?.t?.assume_role_policy)) as { Statement: Record<string, unknown>[] };
    expect(Object.keys(trust.Statement[0]!.Condition as object)).toEqual(['__proto__']);
    expect(Object.keys(trust.Statement[0]!.Principal as object)).toEqual(['__proto__']);
    // The next deployment read in the same process is read as before.
    const after = doctor(deploymentFiles(baseDeployment()));
    expect(after).toStrictEqual(before);
  });

  it('a resource type __proto__ in `terraform show -json` (doctor fuzzer seed 20261221, case 82312)', () => {
    // The state reader wrote `(resource[type] ??= {})[name] = values`: Object.prototype.jobs, and
    // every later doctor run in the process failed on its runner settings.
    const dir = join(import.meta.dirname, 'doctor/azure/state-issuer-drift');
    const read = (name: string) => ({ path: name, bytes: new Uint8Array(readFileSync(join(dir, name))) });
    const sound = ['state.json', 'k8s.yaml', 'values.yaml'].map(read);
    const before = doctor(sound);
    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { values: { root_module: { resources: { type: string; name: string }[] } } };
    const identity = state.values.root_module.resources.find((r) => r.type === 'azurerm_user_assigned_identity' && r.name === 'jobs');
    expect(identity).toBeDefined();
    identity!.type = '__proto__';
    const files = [{ path: 'state.json', bytes: new TextEncoder().encode(JSON.stringify(state)) }, ...sound.slice(1)];
    const ev = readEvidence(files);
    // The documents are added to the resources with the configurations (two deployments' may share addresses).
    evaluateTerraform(ev);
    expect(polluted()).toEqual([]);
    expect('jobs' in {}).toBe(false);
    expect(Object.keys(ev.terraform.resource)).toContain('__proto__');
    expect(Object.keys(ev.terraform.resource['__proto__']!)).toEqual(['jobs']);
    expect(() => doctor(files)).not.toThrow();
    expect('jobs' in {}).toBe(false);
    expect(doctor(sound)).toStrictEqual(before);
  });
});

describe('files of two deployments given together', () => {
  it('an AKS runner whose jobs have no identity of their own next to an Azure cache: no crash (found by hand: `doctor /tmp`)', () => {
    // The Azure cache proof read the jobs identity of every runner; the doctor can infer a runner
    // without one (here the AKS chart values and roots without the job service account, next to
    // another fleet's AWS root), and the proof threw "internal: no identity undefined".
    const golden = join(import.meta.dirname, 'golden');
    const files: InputFile[] = ['aks-workload-identity/terraform/azure-k8s/ci/main.tf.json', 'aks-workload-identity/terraform/azure/main.tf.json', 'aks-workload-identity/helm/build/values.yaml', 'ec2-autoscaler/terraform/aws/main.tf.json'].map((p) => ({ path: p, bytes: new Uint8Array(readFileSync(join(golden, p))) }));
    const r = doctor(files);
    expect(r.findings.filter((f) => /internal/.test(f.message))).toEqual([]);
    const build = r.proofs.filter((p) => p.runner === 'build');
    expect(build.length).toBeGreaterThan(0);
    // The manager's side of the cache is still proven; the jobs' side has nothing to refute.
    expect(build.find((p) => /^the manager reads and writes/.test(p.claim))).toBeDefined();
  });
});

describe('a cycle through a module argument', () => {
  it('is RF906 at the document, not an internal error (doctor fuzzer seed 20261205, case 7977)', () => {
    const dir = caseDir(join(import.meta.dirname, 'doctor/corpus/module-irsa-namespace-drift'));
    const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
    const files: InputFile[] = walk(dir)
      .filter((p) => !p.endsWith('expected.json'))
      .sort()
      .map((p) => {
        const path = p.slice(dir.length + 1);
        let text = readFileSync(p, 'utf8');
        // The policy document's condition names the document's own JSON (the module gets it as policy_json).
        if (path === 'terraform/main.tf') text = text.replace('      test     = "StringLike"\n', '      test     = "StringLike"\n  policy_json       = data.aws_iam_policy_document.cache.json\n');
        return { path, bytes: new TextEncoder().encode(text) };
      });
    expect(new TextDecoder().decode(files.find((f) => f.path === 'terraform/main.tf')!.bytes)).toContain('  policy_json       = data.aws_iam_policy_document.cache.json\n      variable');
    const r = doctor(files);
    expect(r.exitCode).toBe(1);
    expect(r.findings.filter((f) => f.code === 'RF906' && /depends on itself/.test(f.message)).map((f) => f.path)).toEqual(['terraform/main.tf:11:1', 'terraform/modules/irsa/main.tf:55:1']);
  });
});

describe('values the provider configuration or the names settle before apply', () => {
  const REGIONAL = `
provider "aws" {
  region = "eu-west-1"
}
provider "aws" {
  alias = "elsewhere"
}
data "aws_region" "current" {}
data "aws_region" "asked" {
  name = "us-east-1"
}
data "aws_region" "elsewhere" {
  provider = aws.elsewhere
}
resource "aws_autoscaling_group" "workers" {
  name     = "ci-workers"
  max_size = 2
  min_size = 0
}
resource "aws_iam_role" "r" {
  name = "r"
}
resource "aws_iam_role_policy_attachment" "each" {
  for_each   = { cache = aws_iam_role.r.arn, ecr = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly" }
  role       = "r"
  policy_arn = each.value
}
`;
  it.each<[string, Value]>([
    // data.aws_region is the region its provider configuration states, or the one it is asked for.
    ['data.aws_region.current.name', 'eu-west-1'],
    ['data.aws_region.current.id', 'eu-west-1'],
    ['data.aws_region.asked.name', 'us-east-1'],
    // In a policy, an Auto Scaling group's ARN names the group by its name (the UUID only apply knows as *).
    ['jsonencode({ Resource = aws_autoscaling_group.workers.arn })', '{"Resource":"arn:aws:autoscaling:eu-west-1:000000000000:autoScalingGroup:*:autoScalingGroupName/ci-workers"}'],
  ])('%s', (expr, expected) => {
    const { value, broken } = evalLocal(expr, REGIONAL);
    expect(broken).toEqual([]);
    expect(value).toEqual(expected);
  });

  it.each([
    ['data.aws_region.elsewhere.name', /known only when Terraform reads the data source/],
    // Outside a policy the ARN is what apply gives (the UUID matters there).
    ['aws_autoscaling_group.workers.arn', /known only after apply/],
  ])('%s stays unknown', (expr, why) => {
    const { value } = evalLocal(expr, REGIONAL);
    expect(value).toBeInstanceOf(Unknown);
    expect((value as Unknown).reason.message).toMatch(why);
  });

  it('for_each over a map whose keys are known and values are not makes one instance per key (Terraform needs the keys only)', () => {
    const mod = emptyModule('.');
    addHclBody(mod, parseHcl(REGIONAL), hclLoc('t.tf', REGIONAL), (path) => ({ source: undefined as never, doc: 0, path }), () => undefined);
    const ev = new ModuleEvaluator(mod, { renderPolicy: renderPolicyDocument });
    const block = mod.blocks.find((b) => b.name === 'each')!;
    const insts = ev.instances(block);
    expect(insts).not.toBeInstanceOf(Unknown);
    expect((insts as { name: string }[]).map((i) => i.name)).toEqual(['each["cache"]', 'each["ecr"]']);
    expect(ev.body(block, (insts as Parameters<typeof ev.body>[1][])[1]!).policy_arn).toBe('arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly');
  });
});

describe('the folders and files a local module call names (what the CLI reads next)', () => {
  it('a module in the working folder (main.tf, a bare name) calls ./modules/cache, not main.tf/modules/cache', () => {
    const text = 'module "cache" {\n  source = "./modules/cache"\n}\n';
    expect(calledModuleFolders([{ path: 'main.tf', text }])).toEqual(['modules/cache']);
    expect(calledModuleFolders([{ path: 'infra/main.tf', text }])).toEqual(['infra/modules/cache']);
  });

  it('file(), filebase64() and templatefile() over ${path.module}/… with a static path, in HCL and .tf.json', () => {
    const hcl = 'locals {\n  a = templatefile("${path.module}/template/user-data.tftpl", {})\n  b = file("${path.module}/policies/p.json")\n  c = file("${path.module}/${var.x}.json")\n  d = filebase64("${path.root}/x.sh")\n}\n';
    const json = JSON.stringify({ locals: { e: '${filebase64("${path.module}/../shared/boot.sh")}' } });
    expect(moduleFileReferences([{ path: 'main.tf', text: hcl }, { path: 'env/prod/x.tf.json', text: json }, { path: 'notes.md', text: hcl }])).toEqual(['env/shared/boot.sh', 'policies/p.json', 'template/user-data.tftpl']);
  });
});

describe('an attribute of a resource with count read without an instance (Terraform 0.11 style)', () => {
  // lean-delivery/terraform-module-aws-gitlab-runner: "aws_iam_policy.service_linked_role has no instance "arn"" read as a key.
  const COUNTED = 'resource "aws_iam_policy" "p" {\n  count  = 1\n  name   = "p"\n  policy = "{}"\n}\n';
  it('is RF913 saying why and how to write it', () => {
    expect(evalLocal('aws_iam_policy.p.arn', COUNTED).broken).toEqual([expect.stringMatching(/aws_iam_policy\.p has count set, so its attributes are read on one instance: \.arn reads none/)]);
  });
  it('a data source with count is named with its data. prefix, in the message and the fix', () => {
    // rsrchboy/terraform-aws-gitlab-runner: `data.template_file.x.rendered` over a counted data source was said as "template_file.x".
    const text = 'data "aws_iam_policy_document" "d" {\n  count = 1\n}\nlocals {\n  x = data.aws_iam_policy_document.d.json\n}\n';
    const mod = emptyModule('.');
    addHclBody(mod, parseHcl(text), hclLoc('t.tf', text), (path) => ({ source: undefined as never, doc: 0, path }), () => undefined);
    const ev = new ModuleEvaluator(mod, { renderPolicy: renderPolicyDocument });
    ev.local({ k: 'var', name: 'x', at: 0, end: 0 }, { loc: hclLoc('t.tf', text), vars: new Map() }, 'x');
    const [reason] = [...ev.broken.values()];
    expect(reason?.message).toBe('data.aws_iam_policy_document.d has count set, so its attributes are read on one instance: .json reads none (Terraform 0.12 and later refuse it)');
    expect(reason?.fix).toBe('write data.aws_iam_policy_document.d[0].json, or one(data.aws_iam_policy_document.d[*].json) where the count may be 0');
  });
  it('an index, and the legacy .0, still read the instance', () => {
    expect(evalLocal('aws_iam_policy.p[0].name', COUNTED)).toEqual({ value: 'p', broken: [] });
    expect(evalLocal('aws_iam_policy.p.0.name', COUNTED)).toEqual({ value: 'p', broken: [] });
  });
});

describe('count given as a string (Terraform converts it to a number)', () => {
  // gstlt/terraform-gitlab-runner: `count = "${var.runners_count}"` with `type = "string"`, `default = "1"`.
  const counted = (count: string) => `variable "n" {\n  type    = "string"\n  default = "2"\n}\nresource "aws_iam_policy" "p" {\n  count  = ${count}\n  name   = "p-\${count.index}"\n  policy = "{}"\n}\n`;
  it('"${var.n}" of a string default "2" makes two instances, no RF906', () => {
    expect(evalLocal('aws_iam_policy.p[1].name', counted('"${var.n}"'))).toEqual({ value: 'p-1', broken: [] });
  });
  it('twin: a string that is no number is still RF906 "not a whole number"', () => {
    const { value } = evalLocal('aws_iam_policy.p[1].name', counted('"two"'));
    expect(value instanceof Unknown && value.reason.message).toBe('count of aws_iam_policy.p is not a whole number');
  });
});

describe('data "template_file" (the template provider): rendered as templatefile() renders', () => {
  // robpearce-flux/terraform-aws-gitlab-runner (a cattle-ops fork) writes its policies so: RF906
  // "data.template_file.….rendered is known only when Terraform reads the data source" before.
  const tf = (m: Record<string, string>) => {
    const ev = readEvidence(Object.entries(m).map(([path, text]) => ({ path, bytes: new TextEncoder().encode(text) })));
    const { root, findings } = normalizeTerraform(ev);
    return { root, findings };
  };
  const POLICY = '{\n  "Statement": [{ "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::${bucket}/*" }]\n}\n';
  const MAIN = (vars: string) => `variable "nodefault" {}\ndata "template_file" "p" {\n  template = file("\${path.module}/policies/cache.json")\n  vars = {\n    bucket = ${vars}\n  }\n}\nresource "aws_iam_policy" "p" {\n  name   = "p"\n  policy = data.template_file.p.rendered\n}\ndata "template_file" "inline" {\n  template = "$\${a}-x"\n  vars = { a = "b" }\n}\nresource "aws_ssm_parameter" "s" {\n  name  = "s"\n  type  = "String"\n  value = data.template_file.inline.rendered\n}\n`;

  it('a file template and an inline one, with known variables', () => {
    const { root, findings } = tf({ 'main.tf': MAIN('"acme-cache"'), 'policies/cache.json': POLICY });
    expect(findings).toEqual([]);
    expect(JSON.parse(String(root.resource.aws_iam_policy?.p?.policy))).toMatchObject({ Statement: [{ Resource: 'arn:aws:s3:::acme-cache/*' }] });
    expect(root.resource.aws_ssm_parameter?.s?.value).toBe('b-x');
  });

  it('a variable only apply knows: not proven (RF906), never a guess', () => {
    const { findings } = tf({ 'main.tf': MAIN('var.nodefault'), 'policies/cache.json': POLICY });
    expect(findings.filter((f) => f.code === 'RF906').map((f) => f.message)).toEqual([expect.stringMatching(/aws_iam_policy\.p\.policy is not statically known: var\.nodefault has no default/)]);
  });
});

describe('a file of another kind that Terraform reads (file(), templatefile())', () => {
  // cmdlabs/terraform-aws-gitlab-runner-scale reads a Python script and a systemd unit into its user data: both were
  // RF902 "skipped" and then RF903 "not in the evidence given", though given.
  it('is read as the template it is: no RF902, no RF903; one nothing reads is still skipped (RF902)', () => {
    const r = doctor(Object.entries({ 'main.tf': 'resource "aws_ssm_parameter" "p" {\n  name  = "p"\n  type  = "String"\n  value = templatefile("${path.module}/hook.py", { n = 1 })\n}\n', 'hook.py': 'print(${n})\n', 'other.py': 'print(2)\n' }).map(([path, text]) => ({ path, bytes: new TextEncoder().encode(text) })));
    expect(r.findings.filter((f) => f.code === 'RF902' || f.code === 'RF903').map((f) => f.path)).toEqual(['other.py:1:1']);
  });
});
