import { isObject } from '../model/is-object.js';
import { safeText, type Finding } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import { DNS1123_LABEL, DNS1123_LABEL_MAX, DNS1123_SUBDOMAIN, DNS1123_SUBDOMAIN_MAX } from '../spec/names.js';
import type { Evidence } from './evidence.js';
import { generatorEntries } from './kustomize-generator-entries.js';
import { formatPosition, type Origin, type Position } from './source.js';
import type { ValuePlace } from './hcl/eval.js';

/**
 * RF948: a namespace the doctor reads as a literal that Kubernetes refuses. The API server
 * validates a Namespace's name, and so every object's metadata.namespace, as a lower-case RFC 1123
 * label (apimachinery validation IsDNS1123Label: lower-case alphanumerics and '-', starting and
 * ending with an alphanumeric, at most 63 characters); helm passes `-n` on to it, so `helm install
 * -n '$NS'` fails as `kubectl create namespace '$NS'` does ("a lowercase RFC 1123 label must consist
 * of lower case alphanumeric characters or '-', and must start and end with an alphanumeric
 * character"). A ServiceAccount's name is a lower-case RFC 1123 subdomain (dots allowed, up to 253).
 * A namespace the doctor says is not known (a variable it cannot expand: RF903, RF906) is not
 * judged here: only what it would otherwise carry on as a namespace.
 */

/** Why Kubernetes refuses `value` as a namespace; undefined where it takes it. */
export function namespaceRefused(value: string): string | undefined {
  if (value.length > DNS1123_LABEL_MAX) return `it is ${value.length} characters long, more than the ${DNS1123_LABEL_MAX} of an RFC 1123 label`;
  if (DNS1123_LABEL.test(value)) return undefined;
  return labelWhy(value, '');
}

/** Why Kubernetes refuses `value` as a service account's name; undefined where it takes it. */
export function accountNameRefused(value: string): string | undefined {
  if (value.length > DNS1123_SUBDOMAIN_MAX) return `it is ${value.length} characters long, more than the ${DNS1123_SUBDOMAIN_MAX} of an RFC 1123 subdomain`;
  if (DNS1123_SUBDOMAIN.test(value)) return undefined;
  return labelWhy(value, '.');
}

function labelWhy(value: string, more: string): string {
  if (value === '') return 'it is empty';
  const bad = [...value].find((c) => !/[a-z0-9-]/.test(c) && !more.includes(c));
  if (bad !== undefined) return `it holds ${JSON.stringify(safeText(bad, 8))}${/[A-Z]/.test(bad) ? ' (an upper-case letter)' : ''}, and only lower-case letters, digits and '-'${more !== '' ? " and '.'" : ''} are allowed`;
  return "it starts or ends with something other than a lower-case letter or digit";
}

const RULE_LABEL = "a namespace must be a lower-case RFC 1123 label: lower-case letters, digits and '-', starting and ending with a letter or digit, at most 63 characters";
const RULE_SUBDOMAIN = "a service account's name must be a lower-case RFC 1123 subdomain: lower-case letters, digits, '-' and '.', each dot-separated part starting and ending with a letter or digit, at most 253 characters";

/**
 * The RF948 finding for a namespace (or, `account`, a service account name) `value` written at `at`
 * by `what` (e.g. "`helm upgrade …` at Makefile:2"); undefined where Kubernetes takes the value. `fix`, where
 * the caller knows better what was meant (a Makefile recipe's `$$NS`: makefileNamespaceFix).
 */
export function refusedNameFinding(value: string, at: Position | string, what: string, consequence: string, kind: 'namespace' | 'account' = 'namespace', fix?: string): Finding | undefined {
  const why = kind === 'namespace' ? namespaceRefused(value) : accountNameRefused(value);
  if (why === undefined) return undefined;
  const shown = JSON.stringify(safeText(value, 80));
  const noun = kind === 'namespace' ? 'namespace' : 'service account name';
  return {
    code: 'RF948',
    severity: CODES.RF948.severity,
    path: typeof at === 'string' ? at : formatPosition(at),
    message: `${what}: the ${noun} ${shown} is one Kubernetes refuses (${why}): ${kind === 'namespace' ? RULE_LABEL : RULE_SUBDOMAIN}; ${consequence}`,
    received: safeText(value, 80),
    allowed: kind === 'namespace' ? '[a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 characters' : 'dot-separated [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 253 characters',
    fix: fix ?? (value.includes('$') ? `the ${noun} reaches Kubernetes as written, \`$\` and all: the shell expands no variable inside single quotes (a Makefile recipe's \`$$\` is one \`$\`, still quoted); quote it with double quotes (-n "$$NS" in a recipe, -n "$NS" in a script) and set the variable, or write the ${noun} literally` : `write the ${noun} as Kubernetes names it (e.g. ${JSON.stringify(suggest(value))})`),
  };
}

/**
 * The fix for a Makefile recipe's `-n '$$NS'` (written `raw`): make turns `$$` into one `$` for the
 * shell, which keeps `$NS` as written inside single quotes. What was most likely meant is make's own
 * variable, `$(NS)`, which make expands before the shell reads the line; or the shell's, set in the
 * same recipe line (each recipe line runs in a shell of its own, GNU make manual "Recipe Execution").
 */
export function makefileNamespaceFix(raw: string): string | undefined {
  const m = /\$\$\{?([A-Za-z_][A-Za-z0-9_]*)/.exec(raw);
  if (!m) return undefined;
  const v = m[1]!;
  return `in a Makefile recipe \`$$${v}\` is the shell's variable ${v}, not make's, and inside single quotes the shell keeps it as written: if ${v} is a make variable (${v} := ci, or \`make ${v}=ci\`), write -n $(${v}); if it is the shell's, set it in the same recipe line and double-quote it (${v}=ci; helm … -n "$$${v}"), as each recipe line runs in a shell of its own`;
}

/** A name Kubernetes takes, near the one written: lower-cased, other characters as '-', trimmed. */
function suggest(value: string): string {
  const s = value.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, DNS1123_LABEL_MAX).replace(/-+$/, '');
  return s === '' ? 'gitlab-runner' : s;
}

/** A value a templating step fills in (envsubst, Helm, Jinja, Terraform, ytt, a <placeholder>). */
const TEMPLATED = /\$|\{\{|\{%|%\{|\(\(|<[^>]*>|#@/;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** refusedNameFinding of a value read as written, where a placeholder (TEMPLATED) is not judged: for the readers of a file's literal (Terraform metadata, a kustomize generator entry). */
export function refusedWrittenFinding(value: unknown, at: () => Position | string, what: string, consequence: string, kind: 'namespace' | 'account' = 'namespace'): Finding | undefined {
  if (typeof value !== 'string' || value === '' || TEMPLATED.test(value)) return undefined;
  if ((kind === 'namespace' ? namespaceRefused(value) : accountNameRefused(value)) === undefined) return undefined;
  return refusedNameFinding(value, at(), what, consequence, kind);
}

/** How many more places of one refused value in one file are named (each located): the rest are counted. */
const MORE_LISTED = 8;

/** One more place a grouped RF948 names: what writes the value there (`ConfigMap runner-config`, `kubernetes_config_map_v1.b`) and where, located only when named. */
export interface OtherPlace {
  name: string | (() => string);
  at: () => Position;
  /** Where one written place is read more than once (a resource's count or for_each instances, a module called twice): the same id is named once. */
  id?: string;
  /** The kind of command the place is (helm, kubectl) and what the value does to it, where a group may hold commands of two kinds (helm-command.ts RefusedTool). */
  tool?: PlaceTool;
}

/** A kind of command (`label`: helm, kubectl) and what a refused value does to one of them and to several. */
export interface PlaceTool { label: string; consequence: string; consequenceOfAll: string }

/**
 * One RF948 said for a value written at several places: `what` (and the place `at`) is the first, or
 * where the value is written once for all (a Terraform local, a shell variable's assignment); `more`
 * the others, named with their lines up to MORE_LISTED and counted past it, so the message is bounded
 * and a user finds every place to fix from it. `uses`: the others read the value from the first
 * (a local or a variable), rather than write it again.
 */
export interface RefusedGroup {
  /** The ids (OtherPlace.id) of the places in the group. */
  ids?: Set<string>;
  value: string;
  kind: 'namespace' | 'account';
  at: () => Position;
  what: string | (() => string);
  consequence: string;
  /** Said instead of `consequence` where the group has more than one place. */
  consequenceOfAll?: string;
  fix?: string;
  more: OtherPlace[];
  uses?: true;
  /** The first place's kind of command (OtherPlace.tool). */
  tool?: PlaceTool;
}

/**
 * What a refused value does to a group's places where they are commands of more than one kind (a
 * helm command and kubectl commands reading one variable): each kind named with its own consequence;
 * undefined where they are of one kind (or none is said), which the group's own consequence says.
 */
function mixedConsequence(g: RefusedGroup): string | undefined {
  const kinds = new Map<string, { tool: PlaceTool; n: number }>();
  for (const t of [g.uses ? undefined : g.tool, ...g.more.map((m) => m.tool)]) {
    if (t === undefined) continue;
    const k = kinds.get(t.label);
    if (k) k.n++;
    else kinds.set(t.label, { tool: t, n: 1 });
  }
  if (kinds.size < 2) return undefined;
  return [...kinds.values()].map(({ tool, n }) => `for the ${tool.label} command${n > 1 ? 's' : ''}, ${n > 1 ? tool.consequenceOfAll : tool.consequence}`).join('; ');
}

/** The words naming a group's other places: "ConfigMap b (line 12), ServiceAccount c (line 20) and 3 more"; a place in another file by file:line. */
function namedPlaces(more: readonly OtherPlace[], file: string): string {
  const named = more.slice(0, MORE_LISTED).map((m) => {
    const p = m.at();
    const name = safeText(typeof m.name === 'string' ? m.name : m.name(), 80);
    return `${name} (${p.file === file ? `line ${p.line}` : `${p.file}:${p.line}`})`;
  });
  const rest = more.length - named.length;
  return rest > 0 ? `${named.join(', ')} and ${rest} more` : named.length > 1 ? `${named.slice(0, -1).join(', ')} and ${named.at(-1)!}` : named.join('');
}

/** The RF948 of a group (RefusedGroup), at its first place; undefined where Kubernetes takes the value. */
export function groupedRefusedFinding(g: RefusedGroup): Finding | undefined {
  const at = g.at();
  const n = g.more.length;
  const others = n === 0 ? '' : g.uses
    ? ` (read as the ${g.kind === 'namespace' ? 'namespace' : 'service account name'} by ${n === 1 ? namedPlaces(g.more, at.file) : `${n} places: ${namedPlaces(g.more, at.file)}`})`
    : ` (and ${n} more place${n === 1 ? ' in this file that writes' : 's in this file that write'} it: ${namedPlaces(g.more, at.file)})`;
  const what = typeof g.what === 'string' ? g.what : g.what();
  return refusedNameFinding(g.value, at, `${what}${others}`, mixedConsequence(g) ?? (n > 0 && g.consequenceOfAll !== undefined ? g.consequenceOfAll : g.consequence), g.kind, g.fix);
}

/** Collects the refused places of one reader by a key (file, value, …): the first of each key opens a group, the others join it. */
export class RefusedGroups {
  readonly #groups = new Map<string, RefusedGroup>();
  add(key: string, first: () => Omit<RefusedGroup, 'more'>, other: OtherPlace): void {
    this.#put(key, () => ({ ...first(), more: [] }), other);
  }
  /** A group whose first place is not one of the places read (a local, an assignment): every place read is one of `more`. */
  use(key: string, head: () => Omit<RefusedGroup, 'more' | 'uses'>, place: OtherPlace): void {
    this.#put(key, () => ({ ...head(), uses: true, more: [place] }), place);
  }
  /** Opens the group of `key` (`open`) with `place` in it, or adds `place` to it; a place whose id the group holds is not added again. */
  #put(key: string, open: () => RefusedGroup, place: OtherPlace): void {
    const g = this.#groups.get(key);
    if (!g) this.#groups.set(key, { ...open(), ...(place.id !== undefined ? { ids: new Set([place.id]) } : {}) });
    else if (place.id === undefined || !g.ids?.has(place.id)) {
      g.more.push(place);
      if (place.id !== undefined) (g.ids ??= new Set()).add(place.id);
    }
  }
  /** One finding per group, never two at one place. */
  findings(): Finding[] {
    const said = new Set<string>();
    const out: Finding[] = [];
    for (const g of this.#groups.values()) {
      const f = groupedRefusedFinding(g);
      if (!f || said.has(f.path)) continue;
      said.add(f.path);
      out.push(f);
    }
    return out;
  }
}

/** Whether a value read as written is one Kubernetes refuses, a placeholder (TEMPLATED) not judged. */
export function writtenRefused(value: unknown, kind: 'namespace' | 'account' = 'namespace'): value is string {
  return typeof value === 'string' && value !== '' && !TEMPLATED.test(value) && (kind === 'namespace' ? namespaceRefused(value) : accountNameRefused(value)) !== undefined;
}

/**
 * RF948 at each namespace written as a literal in the objects and kustomizations read (before
 * kustomize or Argo CD change any): an object's metadata.namespace, a kustomization's `namespace:`,
 * a Flux HelmRelease's or Kustomization's targetNamespace, an Argo CD Application's
 * destination.namespace and helm.namespace; and a ServiceAccount's name, a RoleBinding subject's
 * namespace and a workload's serviceAccountName. One finding per file and value written (a manifest
 * whose 7 objects each write `namespace: Runners` is one mistake to a reader, not 7), at its first
 * place, naming the others by kind, name and line: "and 6 more places in this file that write it:
 * ConfigMap b (line 12), …". Only a refused value is located, and at most MORE_LISTED + 1 places of
 * each: locating walks the file to its document, so locating every place grew with the square of a
 * file's documents (stop 62).
 */
export function refusedNamespaceFindings(ev: Evidence): void {
  const groups = new RefusedGroups();
  const check = (origin: Origin, path: (string | number)[], value: unknown, what: string | (() => string), name: () => string, consequence: string, kind: 'namespace' | 'account' = 'namespace'): void => {
    // A placeholder a templating step fills in before anything applies the file (envsubst's
    // ${NS}, Helm's {{ }}, Terraform's %{ }, <namespace>) is not the namespace that is applied; a
    // name Kubernetes takes (nearly all) is located nowhere.
    if (!writtenRefused(value, kind)) return;
    const at = (): Position => origin.source.locate(origin.doc, [...origin.path, ...path]);
    groups.add(`${origin.source.path}\0${kind}\0${value}`, () => ({ value, kind, at, what, consequence }), { name, at });
  };
  const objectName = (kind: unknown, meta: unknown) => (): string => `${typeof kind === 'string' ? kind : 'object'} ${isObject(meta) && typeof meta.name === 'string' ? safeText(meta.name, 63) : ''}`.trim();
  const objectWhat = (kind: unknown, meta: unknown, file: string) => (): string => `${objectName(kind, meta)()} in ${file}`;
  const applyFails = 'the API server refuses the object, so `kubectl apply` (and Argo CD, Flux) fails for it and it is not deployed; the doctor reads it as written, so what it proves of it does not run';
  const objects = [...ev.kubernetes.map((o) => ({ value: o.value, origin: o.origin })), ...(ev.gitOps ?? []).map((g) => ({ value: g.value, origin: g.origin }))];
  for (const o of objects) {
    const what = objectWhat(o.value.kind, o.value.metadata, o.origin.source.path);
    const name = objectName(o.value.kind, o.value.metadata);
    if (isObject(o.value.metadata)) check(o.origin, ['metadata', 'namespace'], o.value.metadata.namespace, what, name, applyFails);
    if (o.value.kind === 'ServiceAccount' && isObject(o.value.metadata)) check(o.origin, ['metadata', 'name'], o.value.metadata.name, what, name, applyFails, 'account');
    const spec = isObject(o.value.spec) ? o.value.spec : undefined;
    if (!spec) continue;
    const api = str(o.value.apiVersion) ?? '';
    if ((o.value.kind === 'HelmRelease' || o.value.kind === 'Kustomization') && api.includes('fluxcd.io')) check(o.origin, ['spec', 'targetNamespace'], spec.targetNamespace, what, name, 'Flux applies what it builds into that namespace, and the API server refuses it: the reconciliation fails and nothing of it is deployed');
    if (o.value.kind === 'Application' && api.startsWith('argoproj.io')) {
      const consequence = 'Argo CD syncs the objects into that namespace, and the API server refuses them: the sync fails and nothing of it is deployed';
      if (isObject(spec.destination)) check(o.origin, ['spec', 'destination', 'namespace'], spec.destination.namespace, what, name, consequence);
      if (isObject(spec.source) && isObject(spec.source.helm)) check(o.origin, ['spec', 'source', 'helm', 'namespace'], spec.source.helm.namespace, what, name, consequence);
    }
    const pod = isObject(spec.template) && isObject(spec.template.spec) ? { spec: spec.template.spec, path: ['spec', 'template', 'spec'] } : o.value.kind === 'Pod' ? { spec, path: ['spec'] } : undefined;
    if (pod) check(o.origin, [...pod.path, 'serviceAccountName'], pod.spec.serviceAccountName, what, name, 'the API server refuses the pod template, so the workload is not deployed', 'account');
  }
  for (const k of ev.kustomizations ?? []) {
    const file = k.origin.source.path;
    check(k.origin, ['namespace'], k.value.namespace, `the kustomization ${file}`, () => 'the kustomization', '`kustomize build` sets it on every namespaced object it builds, and the API server refuses each: nothing this kustomization (or one listing it) builds is deployed');
    // Its generator entries' own namespaces (those that make an object), in the same group of file and value: once each, though a component's run in every build listing it.
    if (!Array.isArray(k.value.configMapGenerator) && !Array.isArray(k.value.secretGenerator)) continue;
    for (const g of generatorEntries(k.value, '', () => undefined)) {
      if (g.behavior !== 'create') continue;
      check(k.origin, [g.field, g.index, 'namespace'], g.namespace, `the ${g.field} entry ${safeText(g.name, 63)} of ${file}`, () => `${g.field} entry ${safeText(g.name, 63)}`, `\`kustomize build\` makes the ${g.kind} in that namespace, and the API server refuses it: it is not deployed`);
    }
  }
  ev.findings.push(...groups.findings());
}

/**
 * The RF948 groups of the Terraform read (kubernetes_* resources' metadata, helm_release's
 * namespace): one per .tf file and value, at its first place; or, where the evaluator resolved the
 * value from a place written once for many (`from`, hcl/eval.ts ValuePlace: a local, a root
 * variable's tfvars value or default, a module call's argument), one per that place and value, at
 * it: the one place to correct it, naming the resources that read it. A resource's place is located
 * only where it is named.
 */
export function addTerraformRefused(groups: RefusedGroups, place: { value: string; kind: 'namespace' | 'account'; address: string; at: () => Position; file: string; consequence: string; consequenceOfAll: string; from?: ValuePlace }): void {
  const { value, kind, address, from } = place;
  // Terraform's places are few and located from the file's own positions: each is located, so one written place read by several instances is named once.
  const where = place.at();
  const at = () => where;
  const id = formatPosition(where);
  if (from && from.kind !== 'literal') {
    const head = from.at();
    groups.use(`from\0${formatPosition(head)}\0${kind}\0${value}`, () => ({ value, kind, at: () => head, what: from.name, consequence: place.consequence, consequenceOfAll: place.consequenceOfAll }), { name: address, at, id });
    return;
  }
  groups.add(`${place.file}\0${kind}\0${value}`, () => ({ value, kind, at, what: address, consequence: place.consequence, consequenceOfAll: place.consequenceOfAll }), { name: address, at, id });
}

/** A namespace as read (after kustomize and Argo CD set theirs) that Kubernetes refuses: a literal, not a placeholder. */
export function refusedAsRead(ns: unknown): boolean {
  return typeof ns === 'string' && ns !== '' && !TEMPLATED.test(ns) && namespaceRefused(ns) !== undefined;
}

/**
 * After kustomize and Argo CD set namespaces. The objects whose namespace Kubernetes refuses are
 * not deployed (the API server refuses each; RF948 said where the namespace is written), but they
 * are kept: what they say whatever their namespace (the manager pod's security context, its
 * config.toml's content, credentials, images, RBAC verbs) is as true once the namespace is
 * corrected, and is still checked. What matches one object with another by namespace is not read:
 * a runner chain in a refused namespace (namespace-names `refusedAsRead`, asked in infer.ts) stops
 * before its service accounts, bindings and trust are matched, as a chain whose role is not given
 * does, so no trust or binding of the namespace meant is reported as a mismatch with one that never
 * exists (RF104, RF106, RF904, RF911), and its config.toml gets the checks of one no manager proves.
 * Chart releases read with such a namespace (an Argo CD destination, a Flux targetNamespace, helm
 * -n) are read as of a namespace not known.
 */
export function markRefusedNamespaces(ev: Evidence): void {
  const refused = ev.kubernetes.filter((o) => refusedAsRead(o.value.metadata.namespace)).length;
  if (refused > 0) ev.notDeployed = (ev.notDeployed ?? 0) + refused;
  for (const v of ev.helmValues) {
    if (!refusedAsRead(v.namespace)) continue;
    delete v.namespace;
    v.namespaceUnknown = true;
  }
}
