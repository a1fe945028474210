/**
 * OpenShift Templates (`kind: Template`, apiVersion `template.openshift.io/v1` or the legacy core
 * `v1`): the objects a template creates, processed as `oc process` processes them with no parameter
 * given on its command line, so the doctor reads them as the documents of the file they are written in.
 *
 * The semantics followed, from OpenShift's "Writing templates: parameters" (docs.openshift.com,
 * openshift_images/using-templates.html, "Writing template parameters") and its implementation,
 * openshift/library-go pkg/template/templateprocessing/template.go (Process, EvaluateParameterSubstitution,
 * GenerateParameterValues, stripNamespace) and visitObjectStrings / visitUnsettableValues beside it:
 *
 * - every string of every object (mapping keys too) is substituted; numbers and booleans are not;
 * - `${NAME}` (NAME of letters, digits and `_`) is replaced by the parameter's value wherever it
 *   stands in a string, several in one string; a name no parameter declares is left as written;
 * - `${{NAME}}` only as the whole string: replaced by the value read as JSON (`3`, `true`, `{"a":1}`
 *   become a number, a boolean, a mapping), or the value as a string where it is not JSON;
 * - a parameter's value is its `value`; without one (or empty) a `generate` parameter gets a random
 *   value (`generate: expression`, `from: "[a-z]{8}"`), a `required` one must be given
 *   (`oc process -p NAME=…`, else processing fails), and any other is the empty string;
 * - a literal `metadata.namespace` of an object is removed (the object is created in the namespace
 *   the template is processed in); one that holds a `${…}` reference is kept and substituted;
 * - the template's `labels` are added to every object's labels.
 *
 * A value only processing makes (generated, or required and not given) is never invented: an object
 * that depends on one is reported (with the parameter) and not read. The result is pure data; the
 * reader (read.ts) sorts the objects into the evidence and says what is not read.
 */

import { isObject } from '../model/is-object.js';
import { depthOver } from './depth.js';

type Path = (string | number)[];

/** `${NAME}`: library-go's stringParameterExp. */
const STRING_REF = /\$\{([a-zA-Z0-9_]+?)\}/g;
/** `${{NAME}}` as the whole string: library-go's nonStringParameterExp. */
const WHOLE_REF = /^\$\{\{([a-zA-Z0-9_]+)\}\}$/;

/** Whether `doc` is an OpenShift Template. */
export function isOpenShiftTemplate(doc: Record<string, unknown>): boolean {
  return doc.kind === 'Template' && (doc.apiVersion === 'template.openshift.io/v1' || doc.apiVersion === 'v1');
}

/** A parameter as processing with no `-p` sees it: its value, or why it has none before processing. */
type Parameter = { value: string } | { why: 'required' | 'generated' };

/** An object of the template: substituted, or what it depends on that has no value yet. */
export interface TemplateObject {
  /** Its index in `objects`. */
  index: number;
  /** The object as processing makes it (a copy), when it depends on no parameter without a value. */
  value?: Record<string, unknown>;
  /** The parameters without a value it depends on (by first use), and where the first is used (a path in the Template). */
  unknown?: { names: { name: string; why: 'required' | 'generated' }[]; path: Path };
}

export type TemplateReading = { objects: TemplateObject[] } | { problem: { path: Path; message: string } };

const kindOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : `a ${typeof v}`);

/** The parameters of a template, or why `oc process` refuses them (the Template's Parameter type: name, value and generate are strings, required a boolean). */
function parametersOf(doc: Record<string, unknown>): Map<string, Parameter> | { path: Path; message: string } {
  const out = new Map<string, Parameter>();
  const list = doc.parameters;
  if (list === undefined || list === null) return out;
  if (!Array.isArray(list)) return { path: ['parameters'], message: `parameters is ${kindOf(list)}, not a list` };
  for (let i = 0; i < list.length; i++) {
    const p: unknown = list[i];
    const at: Path = ['parameters', i];
    if (!isObject(p)) return { path: at, message: `parameters[${i}] is ${kindOf(p)}, not a mapping` };
    if (typeof p.name !== 'string' || p.name === '') return { path: [...at, 'name'], message: `parameters[${i}] has no name` };
    for (const key of ['value', 'generate', 'from'] as const) {
      if (p[key] !== undefined && p[key] !== null && typeof p[key] !== 'string') return { path: [...at, key], message: `${key} of parameter ${p.name} is ${kindOf(p[key])}, not a string` };
    }
    if (p.required !== undefined && p.required !== null && typeof p.required !== 'boolean') return { path: [...at, 'required'], message: `required of parameter ${p.name} is ${kindOf(p.required)}, not true or false` };
    // Two parameters of one name: which value a reference takes is not certain.
    if (out.has(p.name)) return { path: [...at, 'name'], message: `parameter ${p.name} is declared twice` };
    const value = typeof p.value === 'string' ? p.value : '';
    // GenerateParameterValues: a value is kept; else generated; else required fails; else empty.
    out.set(p.name, value !== '' ? { value } : typeof p.generate === 'string' && p.generate !== '' ? { why: 'generated' } : p.required === true ? { why: 'required' } : { value: '' });
  }
  return out;
}

/** A `${{NAME}}` value deeper than this is refused: no object field nests so deep, and the readers after this one recurse. */
const MAX_VALUE_DEPTH = 100;

/** Substitutes one template object; records the parameters without a value it uses. */
class Substitution {
  readonly unknown: { name: string; why: 'required' | 'generated' }[] = [];
  firstUnknown: Path | undefined;
  problem: { path: Path; message: string } | undefined;
  constructor(private readonly params: Map<string, Parameter>) {}

  #note(name: string, why: 'required' | 'generated', path: Path): void {
    if (!this.unknown.some((u) => u.name === name)) this.unknown.push({ name, why });
    this.firstUnknown ??= path;
  }

  /** A string as EvaluateParameterSubstitution makes it: the result, and whether it stays a string. */
  string(s: string, path: Path): { value: string; asString: boolean } {
    const whole = WHOLE_REF.exec(s);
    const p = whole ? this.params.get(whole[1]!) : undefined;
    if (whole && p) {
      if ('why' in p) this.#note(whole[1]!, p.why, path);
      return { value: 'value' in p ? p.value : s, asString: false };
    }
    let out = s;
    // As library-go does: each reference of the original string, replaced at its first place in the result.
    for (const m of s.matchAll(STRING_REF)) {
      const q = this.params.get(m[1]!);
      if (!q) continue;
      if ('why' in q) {
        this.#note(m[1]!, q.why, path);
        continue;
      }
      out = out.replace(m[0], () => q.value);
    }
    return { value: out, asString: true };
  }

  value(v: unknown, path: Path): unknown {
    if (typeof v === 'string') {
      const { value, asString } = this.string(v, path);
      if (asString || value === v) return value;
      // visitUnsettableValues: a non-string result is read as JSON, or kept as a string where it is not JSON.
      let parsed: unknown;
      try {
        parsed = JSON.parse(value) as unknown;
      } catch {
        return value;
      }
      // The file's own nesting was measured before it was read (read.ts MAX_DEPTH); a value's is measured here.
      if (depthOver(parsed, MAX_VALUE_DEPTH)) this.problem ??= { path, message: `the value substituted here nests more than ${MAX_VALUE_DEPTH} levels deep` };
      return parsed;
    }
    if (Array.isArray(v)) return v.map((x, i) => this.value(x, [...path, i]));
    if (isObject(v)) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        const key = this.string(k, [...path, k]);
        let name = key.value;
        if (!key.asString && name !== k) {
          // A `${{NAME}}` key: a mapping key can only be a string.
          let parsed: unknown = name;
          try {
            parsed = JSON.parse(name);
          } catch {
            // not JSON: the value as a string
          }
          if (typeof parsed !== 'string') {
            this.problem ??= { path: [...path, k], message: `the key ${k} becomes ${kindOf(parsed)}, and a mapping key is a string` };
            continue;
          }
          name = parsed;
        }
        Object.defineProperty(out, name, { value: this.value(x, [...path, k]), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    return v;
  }
}

/**
 * Processes a Template: each object substituted, or the parameters it waits for; or why the
 * template cannot be processed at all (`oc process` refuses it, or the doctor cannot read it soundly).
 */
export function processTemplate(doc: Record<string, unknown>): TemplateReading {
  const params = parametersOf(doc);
  if (!(params instanceof Map)) return { problem: params };
  const labels = doc.labels;
  if (labels !== undefined && labels !== null && (!isObject(labels) || Object.values(labels).some((v) => typeof v !== 'string'))) {
    return { problem: { path: ['labels'], message: 'labels is not a mapping of strings' } };
  }
  const list = doc.objects;
  if (list === undefined || list === null) return { objects: [] };
  if (!Array.isArray(list)) return { problem: { path: ['objects'], message: `objects is ${kindOf(list)}, not a list` } };
  const objects: TemplateObject[] = [];
  for (let i = 0; i < list.length; i++) {
    const o: unknown = list[i];
    if (!isObject(o)) return { problem: { path: ['objects', i], message: `objects[${i}] is ${kindOf(o)}, not an object` } };
    if (typeof o.kind !== 'string' || typeof o.apiVersion !== 'string') return { problem: { path: ['objects', i], message: `objects[${i}] has no ${typeof o.kind !== 'string' ? 'kind' : 'apiVersion'}` } };
    const sub = new Substitution(params);
    // stripNamespace: a literal namespace goes (the object lands where the template is processed).
    const written = isObject(o.metadata) ? o.metadata.namespace : undefined;
    const stripped = isObject(o.metadata) && written !== undefined && !(typeof written === 'string' && new RegExp(STRING_REF.source).test(written)) ? { ...o, metadata: Object.fromEntries(Object.entries(o.metadata).filter(([k]) => k !== 'namespace')) } : o;
    const value = sub.value(stripped, ['objects', i]) as Record<string, unknown>;
    if (sub.problem) return { problem: sub.problem };
    if (isObject(labels) && Object.keys(labels).length > 0) {
      // addObjectLabels: the template's labels (substituted) over the object's own.
      const own = isObject(value.metadata) ? value.metadata : {};
      const added = sub.value(labels, ['labels']) as Record<string, unknown>;
      if (sub.problem) return { problem: sub.problem };
      value.metadata = { ...own, labels: { ...(isObject(own.labels) ? own.labels : {}), ...added } };
    }
    objects.push(sub.unknown.length > 0 ? { index: i, unknown: { names: sub.unknown, path: sub.firstUnknown! } } : { index: i, value });
  }
  return { objects };
}
