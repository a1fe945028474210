import type { Finding } from '../spec/findings.js';
import { CODES } from '../spec/codes.js';
import { safeText } from '../spec/findings.js';
import { isObject } from '../model/is-object.js';

/**
 * JSON templates of deployment engines the doctor does not read, recognised so that they are named
 * (one RF902 per engine, and in RF910 where no manager is found) instead of being read as plain
 * JSON and dropped in silence:
 *
 * - Azure Resource Manager templates: `$schema` is one of the deployment template schemas
 *   (`…/schemas/<version>/deploymentTemplate.json#`, and its subscription, management group and
 *   tenant forms) and `resources` lists (or, with languageVersion 2.0, maps by symbolic name) the
 *   resources with their `type`; a parameters file has the `deploymentParameters.json#` schema
 *   (Azure Resource Manager documentation, "Understand the structure and syntax of ARM templates"
 *   and "Create Resource Manager parameter file"). `az bicep build` writes Bicep as such a template.
 * - Packer's JSON templates: `builders`, a list of objects each with a `type` (the image's
 *   platform: amazon-ebs, azure-arm, …), and usually `provisioners` (shell, file, ansible…) that run
 *   on the machine being imaged (Packer documentation, "JSON Templates"; HCL templates `.pkr.hcl`
 *   are named with the other HCL files).
 */
export type TemplateEngine = 'arm' | 'packer';

export interface UnreadTemplate {
  path: string;
  at: string;
  engine: TemplateEngine;
  /** ARM: resource types (nested ones included); Packer: builder types, then `provisioner <type>` entries. */
  types: string[];
  /** An ARM parameters file (no resources of its own). */
  parameters?: true;
}

const ARM_SCHEMA = /^https?:\/\/schema\.management\.azure\.com\/schemas\/[0-9-]+(?:-preview)?\/(?:subscription|managementGroup|tenant)?[dD]eployment(Template|Parameters)\.json#?$/;

/** The resource types an ARM template declares, nested `resources` included, in order. */
function armTypes(resources: unknown, out: string[]): void {
  const list = Array.isArray(resources) ? resources : isObject(resources) ? Object.values(resources) : [];
  for (const r of list) {
    if (!isObject(r)) continue;
    if (typeof r.type === 'string') out.push(r.type);
    armTypes(r.resources, out);
  }
}

/** What kind of unread template a JSON document is, or undefined. */
export function unreadTemplate(doc: unknown): Pick<UnreadTemplate, 'engine' | 'types' | 'parameters'> | undefined {
  if (!isObject(doc)) return undefined;
  const schema = typeof doc.$schema === 'string' ? ARM_SCHEMA.exec(doc.$schema.trim()) : null;
  if (schema) {
    if (schema[1] === 'Parameters') return { engine: 'arm', types: [], parameters: true };
    const types: string[] = [];
    armTypes(doc.resources, types);
    return { engine: 'arm', types };
  }
  const builders = Array.isArray(doc.builders) ? doc.builders : undefined;
  if (builders && builders.length > 0 && builders.every((b) => isObject(b) && typeof b.type === 'string') && doc.apiVersion === undefined) {
    const provisioners = Array.isArray(doc.provisioners) ? doc.provisioners.filter(isObject).map((p) => (typeof p.type === 'string' ? `provisioner ${p.type}` : 'provisioner')) : [];
    return { engine: 'packer', types: [...builders.map((b) => (b as { type: string }).type), ...provisioners] };
  }
  return undefined;
}

const ENGINE: Record<TemplateEngine, { one: string; many: string; what: (one: boolean) => string; fix: string }> = {
  arm: {
    one: 'an Azure Resource Manager template',
    many: 'Azure Resource Manager templates',
    what: (one) => `the runner managers (virtual machines, scale sets and their custom data), managed identities, federated credentials and role assignments ${one ? 'it declares' : 'they declare'} are not checked`,
    fix: 'give what the deployment makes in a form the doctor reads: `az identity show`, `az identity federated-credential list` and `az role assignment list --assignee <principal id>` output, and the config.toml its managers write (or write the deployment in Terraform or OpenTofu)',
  },
  packer: {
    one: 'a Packer template',
    many: 'Packer templates',
    what: (one) => `what ${one ? 'the machine image it builds holds' : 'the machine images they build hold'} (gitlab-runner, a config.toml, a register command run while the image is built) is not checked`,
    fix: 'give the config.toml the image holds and the user data that starts its runner at boot, or the Terraform of the instances that boot it',
  },
};

/** `N resources: a ×2, b` for a finding, up to six kinds and a count of the rest. */
function described(t: UnreadTemplate): string {
  if (t.parameters) return `${t.path} (a parameters file)`;
  if (t.types.length === 0) return t.path;
  const count = new Map<string, number>();
  for (const type of t.types) count.set(type, (count.get(type) ?? 0) + 1);
  const shown = [...count].slice(0, 6).map(([type, n]) => `${safeText(type, 60)}${n > 1 ? ` ×${n}` : ''}`).join(', ') + (count.size > 6 ? `, and ${count.size - 6} more kinds` : '');
  const noun = t.engine === 'arm' ? 'resource' : 'step';
  return `${t.path} (${t.types.length} ${noun}${t.types.length > 1 ? 's' : ''}: ${shown})`;
}

/** One RF902 per engine for the templates given (at the first of each): what each declares, and that none of it is proven. */
export function unreadTemplateFindings(templates: readonly UnreadTemplate[]): Finding[] {
  const out: Finding[] = [];
  for (const engine of ['arm', 'packer'] as const) {
    const of = templates.filter((t) => t.engine === engine);
    if (of.length === 0) continue;
    const e = ENGINE[engine];
    const listed = of.slice(0, 8).map(described).join('; ') + (of.length > 8 ? `; and ${of.length - 8} more` : '');
    const one = of.length === 1;
    out.push({
      code: 'RF902',
      severity: CODES.RF902.severity,
      path: of[0]!.at,
      message: `${one ? (of[0]!.parameters ? `${of[0]!.path} is the parameters file of ${e.one}` : `${listed} is ${e.one}`) : `${of.length} ${e.many}: ${listed}`}; the doctor does not read ${e.many}, so ${e.what(one)}`,
      fix: e.fix,
    });
  }
  return out;
}

/** RF910's clause for them: where a manager may be declared that the doctor did not read. */
export function unreadTemplateClause(templates: readonly UnreadTemplate[]): string {
  return (['arm', 'packer'] as const)
    .map((engine) => {
      const of = templates.filter((t) => t.engine === engine && !t.parameters);
      if (of.length === 0) return '';
      return `; ${of.length} ${of.length === 1 ? ENGINE[engine].one.replace(/^an? /, '') : ENGINE[engine].many}, which the doctor does not read, may ${engine === 'arm' ? 'declare one' : 'build the image of one'} (RF902): ${of.slice(0, 3).map((t) => t.path).join(', ')}${of.length > 3 ? ', …' : ''}`;
    })
    .join('');
}
