/**
 * Whether a parsed value nests deeper than `max` levels of lists and maps. Iterative, so it is safe
 * on any depth: the doctor asks it before a recursive reader sees a document (read.ts) or a value a
 * template substitutes (openshift-template.ts).
 */
export function depthOver(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (d > max) return true;
    if (v !== null && typeof v === 'object') for (const x of Object.values(v)) if (x !== null && typeof x === 'object') stack.push([x, d + 1]);
  }
  return false;
}
