/**
 * The file a launch template's `user_data` reads, as the evaluated Terraform value keeps it:
 * `filebase64("${path.module}/<file>")` or `base64encode(file("${path.module}/<file>"))`. One
 * reader for the platform (its synth layout names `../../ec2/<runner>/user-data.sh` from
 * `terraform/aws`) and the doctor (a hand-written module names a file beside it).
 */
// In a module's resource the evaluator keeps the call under the module's address (`${module.runner.filebase64(…)}`,
// `module.a["k"].module.b.`): `${path.module}` is then the module's own folder, the folder of its Terraform file.
const USER_DATA_FILE = /^\$\{(?:module\.[A-Za-z0-9_-]+(?:\[[^\]\n]*\])?\.)*(?:filebase64\("\$\{path\.module\}\/([^"]+)"\)|base64encode\(file\("\$\{path\.module\}\/([^"]+)"\)\))\}$/;

/**
 * The path of the file `user_data` reads, among documents whose paths are relative to one folder:
 * `<file>` resolved against `moduleDir` (the folder of the Terraform file, in the same terms), `..`
 * and `.` followed. Undefined when `user_data` is no such file reference.
 */
export function userDataFilePath(userData: string, moduleDir: string): { path: string; written: string } | undefined {
  const m = USER_DATA_FILE.exec(userData);
  const written = m?.[1] ?? m?.[2];
  if (written === undefined) return undefined;
  return { path: pathInFolder(written, moduleDir), written };
}

/** `written` (a path relative to `${path.module}`) resolved against `moduleDir`, `..` and `.` followed. */
export function pathInFolder(written: string, moduleDir: string): string {
  // A folder given by its absolute path (`runner-fleet doctor /builds/infra`) keeps its leading slash:
  // the files given are keyed by the paths as given.
  const absolute = moduleDir.startsWith('/');
  const parts = moduleDir.split('/').filter((p) => p !== '' && p !== '.');
  for (const seg of written.split('/')) {
    if (seg === '..') parts.pop();
    else if (seg !== '.' && seg !== '') parts.push(seg);
  }
  return `${absolute ? '/' : ''}${parts.join('/')}`;
}
