import type { Finding } from './findings.js';
import { showValue } from './findings.js';
import type { ParsedSpec } from './fleet.js';
import { CODES } from './codes.js';
import { PLATFORMS, platformFor } from '../platforms/registry.js';

/** Key Vault token stores (runners[].gitlab.tokenStore.keyVault) need an AKS runner registered through the API. */
export function checkTokenStores(spec: ParsedSpec): Finding[] {
  const out: Finding[] = [];
  spec.runners.forEach((r, i) => {
    const kv = r.gitlab.tokenStore?.keyVault;
    if (!kv) return;
    const path = `runners[${i}].gitlab.tokenStore.keyVault`;
    const cluster = spec.clusters.find((c) => c.name === r.placement.cluster);
    // The Secrets Store CSI driver reads the vault with the manager pod's Azure workload identity.
    const platform = cluster ? platformFor(cluster.type) : undefined;
    if (platform && !(platform.cloud === 'azure' && platform.kubernetes)) {
      const allowed = PLATFORMS.filter((p) => p.cloud === 'azure' && p.kubernetes).map((p) => p.type).join(', ');
      out.push({ code: 'RF130', severity: CODES.RF130.severity, path, message: `runner ${r.name} runs on ${platform.title}; a Key Vault token store is read by the Secrets Store CSI driver with the manager's Azure workload identity, which only Azure Kubernetes runners have`, received: showValue(kv), allowed: `on runners placed on a cluster of type ${allowed}`, fix: 'remove gitlab.tokenStore (the default store of the platform is used), or place the runner on an Azure Kubernetes cluster' });
    }
    if (r.gitlab.registration === 'terraform') {
      out.push({ code: 'RF131', severity: CODES.RF131.severity, path: `runners[${i}].gitlab.registration`, message: `terraform/gitlab would write runner ${r.name}'s token into the Kubernetes Secret the chart reads, and the CSI driver syncs the Key Vault secret into the same Secret: the two would overwrite each other`, received: showValue('terraform'), allowed: 'api (the default with tokenStore.keyVault)', fix: 'remove gitlab.registration (runner-fleet register writes the token to Key Vault), or remove gitlab.tokenStore' });
    }
  });
  return out;
}
