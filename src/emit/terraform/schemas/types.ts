/**
 * Allowed attributes and nested blocks of the Terraform resources, data sources and providers
 * runner-fleet emits for providers that have no local mirror on these machines (azurerm,
 * gitlab, kubernetes), so `terraform validate` cannot run. Each table names the documentation
 * it was read from; a test checks every emitted block against them.
 */
export interface BlockSchema {
  /** Arguments (and meta-arguments are added by the checker). */
  attributes: readonly string[];
  /** Required arguments. */
  required?: readonly string[];
  /** Nested blocks by name. */
  blocks?: Readonly<Record<string, BlockSchema>>;
  /** Attributes other resources may reference (`${type.name.attr}`), besides the arguments. */
  exports?: readonly string[];
}

export interface ProviderSchema {
  /** Registry source, e.g. `hashicorp/azurerm`. */
  source: string;
  /** The documentation the tables were read from. */
  docs: string;
  provider: BlockSchema;
  resources: Readonly<Record<string, BlockSchema & { docs: string }>>;
  dataSources: Readonly<Record<string, BlockSchema & { docs: string }>>;
}

export const META_ARGUMENTS = ['provider', 'depends_on', 'count', 'for_each', 'lifecycle'] as const;
