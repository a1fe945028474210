import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { doctor, type DoctorResult } from '../src/doctor/index.js';
import { AZURE_CORPUS } from './helpers/doctor-azure.js';

/**
 * Issue 11d: a correct hand-written AKS runner (Microsoft's workload identity docs, GitLab's chart
 * through helm_release) written the common way: the namespace as a resource referenced by
 * `kubernetes_namespace_v1.runner.metadata[0].name`, the federated credentials' issuer as
 * `azurerm_kubernetes_cluster.ci.oidc_issuer_url`, https_traffic_only_enabled left to its default.
 * Before: 12 errors, 3/6 proofs hold, the release taken to be in namespace `default`.
 */

const TF = readFileSync(join(AZURE_CORPUS, 'aks-hand-written-hcl', 'main.tf'), 'utf8');

function edited(...edits: [string, string][]): string {
  let text = TF;
  for (const [from, to] of edits) {
    if (!text.includes(from)) throw new Error(`test: ${from} not in the file`);
    text = text.replace(from, to);
  }
  return text;
}
const run = (text = TF): DoctorResult => doctor([{ path: 'aks/main.tf', bytes: new TextEncoder().encode(text) }]);
const codes = (r: DoctorResult) => r.findings.map((f) => f.code);
const holds = (r: DoctorResult, start: string) => r.proofs.find((p) => p.claim.startsWith(start))?.holds;
const all = (r: DoctorResult) => JSON.stringify({ findings: r.findings, chains: [...r.chains], proofs: r.proofs });

const HELM_NS = '  namespace  = kubernetes_namespace_v1.runner.metadata[0].name';
const SA_NS = '    namespace = kubernetes_namespace_v1.runner.metadata[0].name';
const MANAGER_ISSUER = `  issuer              = azurerm_kubernetes_cluster.ci.oidc_issuer_url
  subject             = "system:serviceaccount:gitlab-runner:gitlab-runner"`;
const OTHER_CLUSTER = `
resource "azurerm_kubernetes_cluster" "other" {
  name                      = "aks-other"
  location                  = azurerm_resource_group.ci.location
  resource_group_name       = azurerm_resource_group.ci.name
  dns_prefix                = "other"
  oidc_issuer_enabled       = true
  workload_identity_enabled = true
  default_node_pool {
    name       = "system"
    node_count = 1
    vm_size    = "Standard_D4s_v5"
  }
  identity {
    type = "SystemAssigned"
  }
}
`;

describe('doctor: references to a literal attribute inside a nested block of a resource in the files resolve', () => {
  it('metadata[0].name of the namespace resource: the release and the jobs service account are in gitlab-runner, never default', () => {
    const r = run();
    expect(r.chains.get('gitlab-runner')?.[0]).toMatch(/^manager gitlab-runner\/gitlab-runner /);
    expect(r.chains.get('gitlab-runner')?.[1]).toMatch(/^jobs gitlab-runner\/ci-jobs .*→ managed identity id-gitlab-ci-jobs$/);
    expect(all(r)).not.toContain('default/');
    expect(all(r)).not.toContain('${kubernetes_namespace_v1');
    for (const c of ['RF104', 'RF106', 'RF603', 'RF904', 'RF931', 'RF903']) expect(codes(r), c).not.toContain(c);
  });

  it('the legacy spelling metadata.0.name resolves the same', () => {
    const r = run(edited([HELM_NS, '  namespace  = kubernetes_namespace_v1.runner.metadata.0.name'], [SA_NS, '    namespace = kubernetes_namespace_v1.runner.metadata.0.name']));
    expect(r.chains.get('gitlab-runner')?.[0]).toMatch(/^manager gitlab-runner\/gitlab-runner /);
    expect(holds(r, 'every reference resolves')).toBe(true);
  });

  it('in .tf.json, where the nested block is an object attribute: "${kubernetes_namespace_v1.runner.metadata[0].name}" resolves too', () => {
    const json = (metadata: unknown) => ({
      resource: {
        kubernetes_namespace_v1: { runner: { metadata } },
        kubernetes_service_account_v1: { jobs: { metadata: { name: 'ci-jobs', namespace: '${kubernetes_namespace_v1.runner.metadata[0].name}' } } },
        kubernetes_role_binding_v1: { jobs: { metadata: { name: 'ci-jobs', namespace: '${kubernetes_namespace_v1.runner.metadata.0.name}' }, role_ref: { api_group: 'rbac.authorization.k8s.io', kind: 'Role', name: 'x' }, subject: { kind: 'ServiceAccount', name: 'nobody', namespace: '${kubernetes_namespace_v1.runner.metadata[0].name}' } } },
      },
    });
    for (const metadata of [{ name: 'gitlab-runner' }, [{ name: 'gitlab-runner' }]]) {
      const r = doctor([{ path: 'k8s.tf.json', bytes: new TextEncoder().encode(JSON.stringify(json(metadata))) }]);
      // The binding names a service account that is not there: said in gitlab-runner, the namespace resolved.
      const messages = r.findings.filter((x) => x.code === 'RF904').map((x) => x.message);
      expect(messages).toContain('RoleBinding ci-jobs binds service account gitlab-runner/nobody, which does not exist among the objects given');
      expect(messages).toContain('RoleBinding gitlab-runner/ci-jobs binds Role x, which is not among the objects given');
      expect(all(r)).not.toContain('${kubernetes_namespace_v1');
    }
  });

  it('an attribute of the nested block that is not written (metadata[0].uid) is known only after apply, not a broken reference', () => {
    const r = run(edited([HELM_NS, '  namespace  = kubernetes_namespace_v1.runner.metadata[0].uid']));
    expect(codes(r)).not.toContain('RF913');
    const f = r.findings.find((x) => x.code === 'RF906' && x.message.includes('namespace'));
    expect(f?.message).toContain('${kubernetes_namespace_v1.runner.metadata[0].uid} is not statically known');
    expect(all(r)).not.toContain('default/');
  });
});

describe('doctor: a namespace that cannot be resolved is RF906, never `default`', () => {
  const unknownNs = () => run(`${edited([HELM_NS, '  namespace  = var.ns'], [SA_NS, '    namespace = var.ns'])}\nvariable "ns" {\n  type = string\n}\n`);

  it('helm_release.namespace from a variable without default: RF906 at the attribute, no runner chain made up in `default`', () => {
    const r = unknownNs();
    const f = r.findings.filter((x) => x.code === 'RF906');
    expect(f.map((x) => x.path)).toEqual(expect.arrayContaining(['aks/main.tf:118:16', 'aks/main.tf:106:17']));
    expect(f.find((x) => x.path === 'aks/main.tf:118:16')?.message).toContain('helm_release.runner: namespace ${var.ns} is not statically known');
    expect(f.find((x) => x.path === 'aks/main.tf:106:17')?.message).toContain('kubernetes_service_account_v1.jobs: namespace ${var.ns} is not statically known');
    expect(all(r)).not.toContain('default/');
    expect(r.chains.size).toBe(0);
    expect(r.proofs).toEqual([]);
  });

  it('the credential for the chart-made service account is not called dangling, nor the files "without a manager"', () => {
    const r = unknownNs();
    expect(codes(r)).not.toContain('RF904');
    expect(codes(r)).not.toContain('RF910');
  });

  it('helm_release without namespace is in `default`, as the helm provider installs it', () => {
    const r = run(edited([`${HELM_NS}\n`, '']));
    expect(r.chains.get('gitlab-runner')?.[0]).toMatch(/^manager default\/gitlab-runner /);
    expect(codes(r)).not.toContain('RF906');
  });
});

describe("doctor: a federated credential whose issuer is azurerm_kubernetes_cluster.<x>.oidc_issuer_url is that cluster's", () => {
  it('the cluster in the files: both identities can be assumed by exactly their service accounts', () => {
    const r = run();
    expect(holds(r, 'only ci:gitlab-runner/gitlab-runner can assume the manager identity id-gitlab-runner-manager')).toBe(true);
    expect(holds(r, 'only ci:gitlab-runner/ci-jobs can assume the jobs identity id-gitlab-ci-jobs')).toBe(true);
    expect(codes(r)).not.toContain('RF930');
  });

  it("a credential naming another cluster's issuer fails (RF104, RF603 at its issuer's credential)", () => {
    const r = run(edited([MANAGER_ISSUER, MANAGER_ISSUER.replace('.ci.', '.other.')]) + OTHER_CLUSTER);
    // The manager's credential puts the runner on cluster other; the jobs' credential still names ci.
    expect(holds(r, 'only other:gitlab-runner/ci-jobs can assume the jobs identity id-gitlab-ci-jobs')).toBe(false);
    expect(r.findings.find((f) => f.code === 'RF104')?.message).toContain('issuer ${azurerm_kubernetes_cluster.ci.oidc_issuer_url}');
    expect(r.findings.find((f) => f.code === 'RF603')?.path).toBe('aks/main.tf:64:25');
    expect(r.exitCode).toBe(1);
  });

  it('the cluster without oidc_issuer_enabled: RF106 at the cluster block', () => {
    const r = run(edited(['  oidc_issuer_enabled       = true\n', '']));
    const f = r.findings.find((x) => x.code === 'RF106');
    expect(f?.message).toContain('azurerm_kubernetes_cluster.ci does not enable the OIDC issuer');
    expect(f?.path).toBe('aks/main.tf:18:1');
  });
});

describe('doctor: a kubernetes provider object that names no namespace is in default', () => {
  it('metadata[0].namespace of such an object is "default" (the provider\'s default), known at plan', () => {
    const r = run(edited([SA_NS + '\n', ''], [HELM_NS, '  namespace  = kubernetes_service_account_v1.jobs.metadata[0].namespace']));
    expect(r.chains.get('gitlab-runner')?.[0]).toMatch(/^manager default\/gitlab-runner /);
    // The jobs run where runners.config says ([runners.kubernetes] namespace = "gitlab-runner"), apart from the manager.
    expect(r.chains.get('gitlab-runner')?.[1]).toMatch(/^jobs gitlab-runner\/ci-jobs /);
    expect(r.findings.filter((f) => f.code === 'RF906')).toEqual([]);
  });
});

describe('doctor: RF611 plain HTTP follows the azurerm default (HTTPS only unless set false)', () => {
  const ACCOUNT_TLS = '  min_tls_version                 = "TLS1_2"';
  const rf611 = (r: DoctorResult) => r.findings.filter((f) => f.code === 'RF611');
  it('unset: passes', () => {
    expect(rf611(run())).toEqual([]);
  });
  it('https_traffic_only_enabled = false (azurerm 4.x): fails, with the value written and the attribute to set', () => {
    const [f] = rf611(run(edited([ACCOUNT_TLS, `${ACCOUNT_TLS}\n  https_traffic_only_enabled      = false`])));
    expect(f?.message).toBe('storage account acmegitlabcicache allows plain HTTP');
    expect(f?.received).toBe('{"https_traffic_only_enabled":false}');
    expect(f?.fix).toBe('set https_traffic_only_enabled = true on storage account acmegitlabcicache');
  });
  it('enable_https_traffic_only = false (azurerm 3.x): fails in that spelling; = true passes', () => {
    const [f] = rf611(run(edited([ACCOUNT_TLS, `${ACCOUNT_TLS}\n  enable_https_traffic_only       = false`])));
    expect(f?.received).toBe('{"enable_https_traffic_only":false}');
    expect(f?.fix).toBe('set enable_https_traffic_only = true on storage account acmegitlabcicache');
    expect(rf611(run(edited([ACCOUNT_TLS, `${ACCOUNT_TLS}\n  enable_https_traffic_only       = true`])))).toEqual([]);
  });
  it('min_tls_version unset: passes (the azurerm default is TLS1_2); "TLS1_0" fails with the attribute to set', () => {
    expect(rf611(run(edited([`${ACCOUNT_TLS}\n`, ''])))).toEqual([]);
    const [f] = rf611(run(edited([ACCOUNT_TLS, '  min_tls_version                 = "TLS1_0"'])));
    expect(f?.message).toBe('storage account acmegitlabcicache allows TLS older than 1.2');
    expect(f?.received).toBe('{"min_tls_version":"TLS1_0"}');
    expect(f?.fix).toBe('set min_tls_version = "TLS1_2" on storage account acmegitlabcicache');
  });
});

describe('doctor: RF612 (cache blobs never expire) speaks Terraform', () => {
  const POLICY = `
resource "azurerm_storage_management_policy" "cache" {
  storage_account_id = azurerm_storage_account.cache.id
  rule {
    name    = "expire-runner-cache"
    enabled = true
    filters {
      prefix_match = ["runner-cache/"]
      blob_types   = ["blockBlob"]
    }
    actions {
      base_blob {
        delete_after_days_since_modification_greater_than = 14
      }
    }
  }
}
`;
  it('without a management policy: received says so, the fix is the azurerm_storage_management_policy to add, no spec key', () => {
    const f = run().findings.find((x) => x.code === 'RF612');
    expect(f?.received).toBe('no enabled azurerm_storage_management_policy rule of storage account acmegitlabcicache deletes blobs under runner-cache/');
    expect(f?.allowed).toBe('delete_after_days_since_modification_greater_than of 1 to 3650 days');
    expect(f?.fix).toContain('add an azurerm_storage_management_policy for storage account acmegitlabcicache');
    expect(f?.fix).toContain('prefix_match = ["runner-cache/"]');
    expect(f?.fix).toContain('delete_after_days_since_modification_greater_than = 14');
    expect(`${f?.fix ?? ''} ${f?.received ?? ''}`).not.toMatch(/expireAfterDays|regenerate/);
  });
  it('with the policy written in HCL: no RF612', () => {
    expect(codes(run(TF + POLICY))).not.toContain('RF612');
  });
});

describe('doctor over the hand-written AKS runner: what remains is true', () => {
  it('no reference error; the findings left are the namespace and manager Pod Security, the chart Role, local accounts and Azure RBAC, expiry', () => {
    const r = run();
    expect(codes(r).sort()).toEqual(['RF307', 'RF308', 'RF612', 'RF806', 'RF806', 'RF907']);
    expect(r.proofs.filter((p) => !p.holds).map((p) => p.claim)).toEqual(['namespace gitlab-runner enforces Pod Security nothing', 'the manager pod meets Pod Security restricted']);
    expect(r.proofs).toHaveLength(10);
  });
});

describe('doctor: RF308 judges the manager pod the chart renders (values over the chart\'s own securityContext)', () => {
  const LABELS = '    podLabels = { "azure.workload.identity/use" = "true" }';
  const rf308 = (r: DoctorResult) => r.findings.filter((f) => f.code === 'RF308');
  it('no securityContext in the values: only the seccomp profile is missing (the chart sets the rest), and the fix names that key', () => {
    const [f] = rf308(run());
    expect(f?.message).toBe('the manager pod of gitlab-runner does not meet Pod Security restricted: seccompProfile.type is (missing), not RuntimeDefault or Localhost');
    expect(f?.fix).toBe("set securityContext.seccompProfile.type: RuntimeDefault in the chart values (the chart's own securityContext sets the rest)");
  });
  it('only the seccomp profile given: the pod meets restricted, the proof holds', () => {
    const r = run(edited([LABELS, `${LABELS}\n    securityContext = { seccompProfile = { type = "RuntimeDefault" } }`]));
    expect(rf308(r)).toEqual([]);
    expect(holds(r, 'the manager pod meets Pod Security restricted')).toBe(true);
  });
  it('a chart default removed with null or overridden: that violation is back', () => {
    const r = run(edited([LABELS, `${LABELS}\n    securityContext = { runAsNonRoot = null, allowPrivilegeEscalation = true, seccompProfile = { type = "RuntimeDefault" } }`]));
    const [f] = rf308(r);
    expect(f?.message).toBe('the manager pod of gitlab-runner does not meet Pod Security restricted: runAsNonRoot is not true; allowPrivilegeEscalation is not false');
    expect(holds(r, 'the manager pod meets Pod Security restricted')).toBe(false);
  });
});
