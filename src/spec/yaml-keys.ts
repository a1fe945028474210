import { isAlias, isCollection, isMap, isScalar, isSeq, type Document, type Node } from 'yaml';

/** A mapping key plain data cannot hold as written, at the key's offset in the text. */
export type MappingKeyProblem =
  | { kind: 'duplicate'; offset: number; key: string }
  | { kind: 'collection'; offset: number; key: string; shape: 'list' | 'map' | 'binary value' | 'date' };

/**
 * Mapping keys plain data cannot hold as written, in the order of the text: a key that appears a
 * second time in one mapping (at the second), and a key that is itself a list or a map (`? [a, b]: 1`,
 * `{ a: 1 }: 2`, valid YAML), or an alias of one (`*a : 1`), or a scalar the library makes an object of (`!!binary`, a YAML 1.1 timestamp). The library would keep the last of two equal keys, and turn a
 * collection key into its text with a process warning on stderr (in toJS). `key` is the key's
 * text (a collection key as the library writes it, JSON), unshortened: each caller words the problem.
 * Linear in the size of the document (the library's own duplicate check is quadratic).
 */
export function mappingKeyProblems(doc: Document): MappingKeyProblem[] {
  const out: MappingKeyProblem[] = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = pair.key as Node | null;
        if (isScalar(key) && typeof key.value === 'object' && key.value !== null) {
          // A tagged scalar the library makes an object of (`!!binary` a Uint8Array, a 1.1 timestamp a Date): stringified with a warning too.
          out.push({ kind: 'collection', offset: key.range?.[0] ?? 0, key: key.source ?? '', shape: key.value instanceof Date ? 'date' : 'binary value' });
        } else if (isScalar(key)) {
          const k = String(key.value);
          if (seen.has(k)) out.push({ kind: 'duplicate', offset: key.range?.[0] ?? 0, key: k });
          else seen.add(k);
        } else if (isCollection(key)) {
          out.push({ kind: 'collection', offset: key.range?.[0] ?? 0, key: String(key), shape: isSeq(key) ? 'list' : 'map' });
        } else if (isAlias(key)) {
          // `*a: 1` where &a names a list or a map: the library stringifies it (and warns) as it does one written in place.
          const target = key.resolve(doc);
          if (isCollection(target)) out.push({ kind: 'collection', offset: key.range?.[0] ?? 0, key: `*${key.source}`, shape: isSeq(target) ? 'list' : 'map' });
        }
        stack.push(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    }
  }
  return out.sort((a, b) => a.offset - b.offset);
}
