import { parseDocument } from 'yaml';
import { mappingKeyProblems } from '../spec/yaml-keys.js';

/**
 * One YAML document as plain data, as `yaml.parse` gives it, for text the doctor finds inside
 * Terraform (`yamldecode`, a `helm_release`'s values). A mapping key that is itself a list or a map
 * is an error here: the library would turn it into a string and print a process warning on stderr.
 * parseDocument prints nothing itself (only parse() prints a document's warnings); the key check
 * runs before toJS, which is where the library would warn.
 * @throws Error naming the first problem.
 */
export function yamlData(text: string, version: '1.1' | '1.2', maxAliasCount = 100): unknown {
  // The default log level: with 'silent' the parser also leaves out the error for a second document.
  const doc = parseDocument(text, { version });
  if (doc.errors.length > 0) throw new Error(doc.errors[0]!.message.split('\n')[0]);
  const problem = mappingKeyProblems(doc).find((p) => p.kind === 'collection');
  if (problem?.kind === 'collection') {
    const complex = problem.key;
    const what = problem.shape === 'list' || problem.shape === 'map' ? 'a list or a map' : `a ${problem.shape}`;
    throw new Error(`a mapping key is ${what} (${complex.length > 40 ? `${complex.slice(0, 40)}…` : complex}), which plain data cannot hold`);
  }
  return doc.toJS({ maxAliasCount });
}
