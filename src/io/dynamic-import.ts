/**
 * import() of a spec written as a JavaScript module. bin/runner-fleet.cjs compiles the bundled CLI
 * with V8's code cache, and a function compiled from a code cache cannot call import() itself
 * (Node no longer knows the script's import callback: "A dynamic import callback was not
 * specified"), so the bin passes its own import() as `__runnerFleetImport`. (The bundle loads the
 * AWS and Azure SDKs with require(): scripts/bundle.js.) Everywhere else, the library and the
 * tests, this is plain import().
 */
declare const __runnerFleetImport: ((specifier: string) => Promise<unknown>) | undefined;

export function importModule<T>(specifier: string): Promise<T> {
  return (typeof __runnerFleetImport === 'function' ? __runnerFleetImport(specifier) : import(specifier)) as Promise<T>;
}
