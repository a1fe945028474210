import { Pair, Scalar, YAMLMap, type CollectionTag, type ScalarTag, type YAMLSeq } from 'yaml';
import type { Finding } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import { isObject } from '../model/is-object.js';
import { shownText } from '../verify/credentials.js';

/**
 * AWS CloudFormation templates. The doctor does not read them as deployments (one RF902 for all,
 * read.ts), but two things in them are facts on their own: the long-lived keys a template creates
 * (RF936, `cloudFormationKeyFindings`) and the credentials written in it (RF940, a parameter's
 * `Default` judged by the parameter, doctor/secrets.ts).
 */

/**
 * CloudFormation's YAML short forms of its intrinsic functions (CloudFormation Template Reference,
 * "Intrinsic function reference": `!Ref`, `!GetAtt`, `!Sub`, `!Join`, `!Base64`, the condition
 * functions…), read as the long form they stand for: `!Ref x` is `{ Ref: x }`, `!Join [a, [b]]` is
 * `{ "Fn::Join": [a, [b]] }`, `!GetAtt res.Attr` is `{ "Fn::GetAtt": [res, Attr] }`. Without them
 * the YAML library reads `!Ref x` as the string `x`, indistinguishable from a literal. A tagged
 * sequence or mapping keeps its nodes (wrapped in a one-key mapping), so positions inside it stay.
 */
const FUNCTIONS = ['Ref', 'Condition', 'Base64', 'Cidr', 'FindInMap', 'GetAtt', 'GetAZs', 'ImportValue', 'Join', 'Select', 'Split', 'Sub', 'Transform', 'And', 'Equals', 'If', 'Not', 'Or'] as const;

const longName = (f: string) => (f === 'Ref' || f === 'Condition' ? f : `Fn::${f}`);

/** `!GetAtt res.Attr.Part`: the resource's logical id, then the attribute (which may hold dots: `Endpoint.Address`). */
function getAttParts(text: string): string[] | string {
  const dot = text.indexOf('.');
  return dot > 0 ? [text.slice(0, dot), text.slice(dot + 1)] : text;
}

function wrapped(name: string, node: YAMLMap.Parsed | YAMLSeq.Parsed): YAMLMap {
  const key = new Scalar(name);
  if (node.range) key.range = [node.range[0], node.range[0], node.range[0]];
  const map = new YAMLMap();
  map.items.push(new Pair(key, node));
  return map;
}

/** A text that uses one of the short forms (`!Ref`, `!Sub`…) as a tag: only then is a template parsed again with them. */
export const CLOUDFORMATION_TAG_USE = new RegExp(`(?:^|[\\s[{,:-])!(?:${FUNCTIONS.join('|')})(?![A-Za-z0-9])`);

export const CLOUDFORMATION_TAGS: readonly (ScalarTag | CollectionTag)[] = FUNCTIONS.flatMap((f): (ScalarTag | CollectionTag)[] => [
  { tag: `!${f}`, resolve: (text: string) => ({ [longName(f)]: f === 'GetAtt' ? getAttParts(text) : text }) },
  { tag: `!${f}`, collection: 'seq', resolve: (seq) => wrapped(longName(f), seq) },
  { tag: `!${f}`, collection: 'map', resolve: (map) => wrapped(longName(f), map) },
]);

/**
 * The resource types of an AWS CloudFormation template (`Type` of each entry of `Resources`), or
 * undefined where `doc` is none: a template has `AWSTemplateFormatVersion` (optional in the format),
 * or `Resources` whose every entry has a `Type` of the `AWS::` or `Custom::` namespaces (the
 * template anatomy of the CloudFormation User Guide).
 */
export function cloudFormationTypes(doc: unknown): string[] | undefined {
  if (!isObject(doc)) return undefined;
  const resources = isObject(doc.Resources) ? Object.values(doc.Resources) : [];
  const types = resources.map((r) => (isObject(r) && typeof r.Type === 'string' ? r.Type : undefined));
  const typed = types.length > 0 && types.every((t) => t !== undefined && /^(AWS|Custom|Alexa)::/.test(t));
  if (typeof doc.AWSTemplateFormatVersion !== 'string' && !typed) return undefined;
  return types.filter((t): t is string => t !== undefined);
}

/** The resources of a template: logical id, type and properties. */
function resourcesOf(doc: Record<string, unknown>): { id: string; type: string; properties: Record<string, unknown> }[] {
  if (!isObject(doc.Resources)) return [];
  return Object.entries(doc.Resources).flatMap(([id, r]) => (isObject(r) && typeof r.Type === 'string' ? [{ id, type: r.Type, properties: isObject(r.Properties) ? r.Properties : {} }] : []));
}

/**
 * Which IAM user an `AWS::IAM::AccessKey` is of, from its `UserName` (required; CloudFormation
 * Template Reference, AWS::IAM::AccessKey): a literal name; `Ref` to an `AWS::IAM::User` of the
 * template (whose Ref is the user's name), named by that resource's literal `UserName` or, where
 * the stack makes the name, by its logical id; `Ref` to a parameter, by the parameter.
 */
function userOf(value: unknown, doc: Record<string, unknown>): string {
  if (typeof value === 'string' && value !== '') return `IAM user ${shownText(value, 80)}`;
  const ref = isObject(value) && typeof value.Ref === 'string' ? value.Ref : undefined;
  if (ref === undefined) return 'an IAM user the template does not name literally';
  const target = isObject(doc.Resources) && isObject(doc.Resources[ref]) ? doc.Resources[ref] : undefined;
  if (target && target.Type === 'AWS::IAM::User') {
    const name = isObject(target.Properties) ? target.Properties.UserName : undefined;
    return typeof name === 'string' && name !== '' ? `IAM user ${shownText(name, 80)} (resource ${shownText(ref, 80)})` : `the IAM user of resource ${shownText(ref, 80)}`;
  }
  if (isObject(doc.Parameters) && ref in doc.Parameters) return `the IAM user parameter ${shownText(ref, 80)} names`;
  return `IAM user ${shownText(ref, 80)}`;
}

/**
 * RF936 at each `AWS::IAM::AccessKey` of a template (`place`: the position of a path of it), in the
 * template's order: an IAM user's access key, which never expires (IAM User Guide, "Manage access
 * keys for IAM users"); CloudFormation replaces it only when its `Serial` is raised, and hands its
 * secret (`Fn::GetAtt <id>.SecretAccessKey`) to whatever the template gives it to. What an IAM user
 * is for is not said by the key, so it is a warning, as in Terraform (static-keys.ts).
 */
export function cloudFormationKeyFindings(doc: unknown, place: (path: readonly (string | number)[]) => string): Finding[] {
  if (!isObject(doc)) return [];
  return resourcesOf(doc)
    .filter((r) => r.type === 'AWS::IAM::AccessKey')
    .map((r) => {
      const id = shownText(r.id, 80);
      const given = secretUses(doc, r.id);
      const uses = given.length === 0 ? '' : `; the template gives its secret to ${given.slice(0, 3).map((p) => `${pathName(p)} (${place(p)})`).join(', ')}${given.length > 3 ? ` and ${given.length - 3} more` : ''}`;
      return {
        code: 'RF936',
        severity: CODES.RF936.severity,
        path: place(['Resources', r.id, 'Type']),
        message: `CloudFormation resource ${id} (AWS::IAM::AccessKey) creates an access key of ${userOf(r.properties.UserName, doc)}: a static credential, and an AWS access key never expires (CloudFormation replaces it only when its Serial is raised); whoever holds it (what the template gives ${id}.SecretAccessKey to, a CI/CD variable, a config.toml, a Kubernetes Secret) acts as that identity until it is rotated by hand${uses}. A runner needs none: its manager and its jobs get short-lived credentials from the identity of where they run`,
        fix: 'delete the access key (and the IAM user, if nothing else uses it) and give what used it an IAM role: the runner manager an instance profile, an ECS task role, IRSA or EKS Pod Identity; jobs a role of their own, or GitLab CI id_tokens with sts:AssumeRoleWithWebIdentity',
      };
    });
}

/** The paths of a template where `Fn::GetAtt` takes the secret of access key `id` (`!GetAtt id.SecretAccessKey`), in the template's order. */
function secretUses(doc: Record<string, unknown>, id: string): (string | number)[][] {
  const out: (string | number)[][] = [];
  const walk = (v: unknown, path: (string | number)[]): void => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (isObject(v)) {
      const att = v['Fn::GetAtt'];
      const parts = typeof att === 'string' ? getAttParts(att) : att;
      if (Array.isArray(parts) && parts[0] === id && parts[1] === 'SecretAccessKey') out.push(path);
      else for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    }
  };
  walk(doc, []);
  return out;
}

/** A path as a message names it: `Resources.Task.Properties.ContainerDefinitions[0].Environment[3].Value`. */
function pathName(path: readonly (string | number)[]): string {
  return shownText(path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join(''), 160);
}
