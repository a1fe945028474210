import type { z } from 'zod';

/**
 * A reader of one platform section of a runner's spec (`autoscaler`, `fargate`): the section as its
 * schema parses it, with the schema's defaults. Emit and verify ask for a runner's section many
 * times, and the runners of a large fleet mostly repeat one section, so:
 * - a runner's spec object is parsed once (its section is not changed after resolve);
 * - sections with equal JSON texts share one parse, which callers only read. Only plain JSON data
 *   is keyed by its text: a section holding what JSON.stringify writes the same as something else
 *   (`undefined`, NaN or Infinity as `null`, -0 as `0`, a Date, a class instance, a toJSON) is parsed on its
 *   own every time, so the schema sees exactly what was written;
 * - a section the schema refuses is never remembered: it throws each time it is asked.
 * The text memo is emptied at 10,000 texts, so a long-lived process does not keep every section.
 */
export function sectionReader<S extends z.ZodType>(name: string, schema: S): (runner: { spec: unknown }) => z.output<S> {
  type T = z.output<S>;
  const bySpec = new WeakMap<object, T>();
  const byText = new Map<string, T>();
  return (runner) => {
    const spec = runner.spec as Record<string, unknown>;
    let hit = bySpec.get(spec);
    if (hit !== undefined) return hit;
    const section = spec[name] ?? {};
    const text = plainJson(section);
    hit = text === undefined ? undefined : byText.get(text);
    if (hit === undefined) {
      hit = schema.parse(section);
      if (text !== undefined) {
        if (byText.size >= 10_000) byText.clear();
        byText.set(text, hit);
      }
    }
    bySpec.set(spec, hit);
    return hit;
  };
}

/** JSON.stringify of a value that is plain JSON data (objects, arrays, strings, finite numbers other than -0, booleans, null); undefined for anything else. */
function plainJson(value: unknown): string | undefined {
  let plain = true;
  const text = JSON.stringify(value, function (this: unknown, k: string, v: unknown) {
    // The holder's own value: JSON.stringify hands the replacer the result of toJSON (a Date's text).
    const raw = k === '' ? value : (this as Record<string, unknown>)[k];
    if (raw === undefined || typeof raw === 'function' || typeof raw === 'symbol' || typeof raw === 'bigint') plain = false;
    else if (typeof raw === 'number' && (!Number.isFinite(raw) || Object.is(raw, -0))) plain = false;
    else if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
      const proto = Object.getPrototypeOf(raw) as unknown;
      // A toJSON of its own would be written in its place.
      if ((proto !== Object.prototype && proto !== null) || 'toJSON' in raw) plain = false;
    }
    // A bigint would make JSON.stringify throw: the section is not keyed, the schema decides.
    return typeof v === 'bigint' ? null : v;
  });
  return plain ? text : undefined;
}
