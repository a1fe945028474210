import { describe, expect, it } from 'vitest';
import { doctorTexts } from './helpers/doctor.js';

/**
 * Runner managers on Azure virtual machines, set up by custom data, a Custom Script extension or
 * provisioners: public techdecline/gitlab-ci-runner registers its runner in the protected settings of
 * a Custom Script extension (`"script": "${base64encode(data.template_file.x.rendered)}"`),
 * huynhduchuyit/terraform-azure-gitlab-runner-docker-autoscaler uploads its config.toml with a file
 * provisioner. Small hand-written fixtures of those shapes.
 */
const findings = (files: Record<string, string>) => doctorTexts(files).findings;
const codes = (files: Record<string, string>) => findings(files).map((f) => f.code);

const REGISTER = (executor: string) => `#!/bin/bash
apt-get install -y gitlab-runner
gitlab-runner register --non-interactive --url https://gitlab.example.com --token "$RUNNER_TOKEN" --executor ${executor} --docker-image alpine:3.20
`;

const vm = (setup: string, identity = '  identity {\n    type = "SystemAssigned"\n  }\n', type = 'azurerm_linux_virtual_machine') => `resource "${type}" "runner" {
  name                  = "runner"
  resource_group_name   = "rg-runners"
  location              = "westeurope"
  size                  = "Standard_B2s"
  admin_username        = "ops"
  network_interface_ids = ["nic-1"]
${identity}${setup}}
`;

const customData = (script: string) => `  custom_data = base64encode(<<-EOT
${script.split('\n').map((l) => (l === '' ? '' : `    ${l}`)).join('\n')}
  EOT
  )
`;

/** The head of a Custom Script extension of the VM above; its settings follow. */
const EXTENSION = `resource "azurerm_virtual_machine_extension" "setup" {
  name                 = "setup"
  virtual_machine_id   = azurerm_linux_virtual_machine.runner.id
  publisher            = "Microsoft.Azure.Extensions"
  type                 = "CustomScript"
  type_handler_version = "2.0"
`;

describe('Azure VMs as runner managers: read for their setup, not "no runner manager"', () => {
  it('custom_data that registers a docker runner on a VM with a managed identity: RF713 (jobs reach IMDS) at the identity, RF903 (not proven), no RF910', () => {
    const got = findings({ 'main.tf': vm(customData(REGISTER('docker'))) });
    const codes = got.map((f) => f.code);
    expect(codes).not.toContain('RF910');
    const imds = got.find((f) => f.code === 'RF713');
    expect(imds?.message).toContain('azurerm_linux_virtual_machine.runner (runs `gitlab-runner register` in its custom_data) has a managed identity (SystemAssigned)');
    expect(imds?.message).toContain('169.254.169.254');
    expect(imds?.path).toMatch(/^main\.tf:8:3$/);
    expect(imds?.fix).toContain('DOCKER-USER');
    const scope = got.find((f) => f.code === 'RF903' && f.message.includes('is a runner manager'));
    expect(scope?.message).toContain('executor docker');
    expect(scope?.message).toContain('the role assignments of its managed identity (SystemAssigned)');
  });

  it('the same VM without an identity: no RF713 (nothing for jobs to take), RF903 says it has none', () => {
    const got = findings({ 'main.tf': vm(customData(REGISTER('docker')), '') });
    expect(got.map((f) => f.code)).not.toContain('RF713');
    expect(got.find((f) => f.code === 'RF903' && f.message.includes('is a runner manager'))?.message).toContain('it has none: `identity` is not set');
    expect(got.map((f) => f.code)).not.toContain('RF910');
  });

  it('a docker-autoscaler manager with an identity: its jobs run on other machines, so no RF713; a shell executor gets RF713 with a fix that moves jobs off the host', () => {
    expect(codes({ 'main.tf': vm(customData(REGISTER('docker-autoscaler'))) })).not.toContain('RF713');
    const shell = findings({ 'main.tf': vm(customData(REGISTER('shell'))) }).find((f) => f.code === 'RF713');
    expect(shell?.message).toContain('its shell executor runs jobs on the same machine');
    expect(shell?.fix).toContain('run jobs on other machines');
  });

  it('custom_data that registers nothing: no manager (RF910 as before)', () => {
    const got = codes({ 'main.tf': vm(customData('#!/bin/bash\napt-get install -y nginx\n')) });
    expect(got).toContain('RF910');
    expect(got).not.toContain('RF713');
  });

  it('a Custom Script extension whose protected settings run a template with a variable (known only at apply): the VM it names is the manager', () => {
    const files = {
      'main.tf': `variable "registration_token" {}
data "template_file" "init" {
  template = file("\${path.module}/init.sh")
  vars = {
    token = var.registration_token
  }
}
${vm('')}
${EXTENSION}  protected_settings = <<SETTINGS
    {
      "script": "\${base64encode(data.template_file.init.rendered)}"
    }
SETTINGS
}
`,
      'init.sh': '#!/bin/bash\ngitlab-runner register --non-interactive --url https://gitlab.example.com --token "${token}" --executor docker --docker-image alpine:3.20\n',
    };
    const got = findings(files);
    expect(got.map((f) => f.code)).not.toContain('RF910');
    expect(got.map((f) => f.code)).toContain('RF713');
    expect(got.find((f) => f.code === 'RF903' && f.message.includes('is a runner manager'))?.message).toContain('in the protected_settings of its Custom Script extension azurerm_virtual_machine_extension.setup');
    // Another extension type (not the Custom Script one), or one naming another VM: no manager.
    const other = { ...files, 'main.tf': files['main.tf'].replace('"CustomScript"', '"DependencyAgentLinux"') };
    expect(codes(other)).toContain('RF910');
    const elsewhere = { ...files, 'main.tf': files['main.tf'].replace('azurerm_linux_virtual_machine.runner.id', '"/subscriptions/x/vm"') };
    expect(codes(elsewhere)).toContain('RF910');
  });

  it('a Custom Script extension with commandToExecute in settings written with jsonencode', () => {
    const main = `${vm('')}
${EXTENSION}  settings = jsonencode({
    commandToExecute = "gitlab-runner register --non-interactive --url https://gitlab.example.com --token $T --executor shell"
  })
}
`;
    const got = findings({ 'main.tf': main });
    expect(got.find((f) => f.code === 'RF713')?.message).toContain('in the settings of its Custom Script extension');
  });

  it('a config.toml written by a file provisioner of the VM; and the older azurerm_virtual_machine with os_profile custom_data in plain text', () => {
    const toml = 'concurrent = 2\n\n[[runners]]\n  name = "az"\n  url = "https://gitlab.example.com"\n  token = "${var.runner_token}"\n  executor = "docker"\n  [runners.docker]\n    image = "alpine:3.20"\n';
    const file = `  provisioner "file" {
    content     = <<-EOT
${toml.split('\n').map((l) => (l === '' ? '' : `      ${l}`)).join('\n')}
    EOT
    destination = "/etc/gitlab-runner/config.toml"
  }
`;
    const provisioned = findings({ 'main.tf': `variable "runner_token" {}\n${vm(file)}` });
    expect(provisioned.find((f) => f.code === 'RF713')?.message).toContain('(writes a config.toml in its provisioners)');
    const legacy = vm(`  os_profile {\n    computer_name  = "runner"\n    admin_username = "ops"\n    custom_data    = <<-EOT\n      #!/bin/bash\n      gitlab-runner register --non-interactive --url https://gitlab.example.com --token "$T" --executor docker --docker-image alpine:3.20\n    EOT\n  }\n`, '  identity {\n    type = "UserAssigned"\n    identity_ids = ["id-1"]\n  }\n', 'azurerm_virtual_machine');
    const got = findings({ 'main.tf': legacy });
    expect(got.find((f) => f.code === 'RF713')?.message).toContain('azurerm_virtual_machine.runner (runs `gitlab-runner register` in its os_profile.custom_data) has a managed identity (UserAssigned)');
  });

  it('the role assignments the files give the identity are named in RF903 (system-assigned by principal_id, user-assigned through identity_ids); none says so', () => {
    const system = `${vm(customData(REGISTER('docker-autoscaler')))}
resource "azurerm_role_definition" "scale" {
  name  = "runner-scale"
  scope = "/subscriptions/0000/resourceGroups/rg-runners"
  permissions {
    actions = ["Microsoft.Compute/virtualMachineScaleSets/*"]
  }
}
resource "azurerm_role_assignment" "scale" {
  scope              = "/subscriptions/0000/resourceGroups/rg-runners"
  role_definition_id = azurerm_role_definition.scale.role_definition_resource_id
  principal_id       = azurerm_linux_virtual_machine.runner.identity[0].principal_id
}
resource "azurerm_role_assignment" "other" {
  scope                = "/subscriptions/0000"
  role_definition_name = "Owner"
  principal_id         = "11111111-2222-3333-4444-555555555555"
}
`;
    const scope = (files: Record<string, string>) => findings(files).find((f) => f.code === 'RF903' && f.message.includes('is a runner manager'))?.message ?? '';
    const got = scope({ 'main.tf': system });
    expect(got).toContain('the files give that identity "runner-scale" with Microsoft.Compute/virtualMachineScaleSets/* at /subscriptions/0000/resourceGroups/rg-runners, written at main.tf:');
    // Another principal's assignment is not the VM's.
    expect(got).not.toContain('Owner');
    const user = `${vm(customData(REGISTER('docker-autoscaler')), '  identity {\n    type         = "UserAssigned"\n    identity_ids = [azurerm_user_assigned_identity.runner.id]\n  }\n')}
resource "azurerm_user_assigned_identity" "runner" {
  name                = "runner"
  resource_group_name = "rg-runners"
  location            = "westeurope"
}
resource "azurerm_role_assignment" "blob" {
  scope                = azurerm_storage_account.cache.id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_user_assigned_identity.runner.principal_id
}
`;
    expect(scope({ 'main.tf': user })).toContain('the files give that identity "Storage Blob Data Contributor" at azurerm_storage_account.cache, written at main.tf:');
    expect(scope({ 'main.tf': vm(customData(REGISTER('docker-autoscaler'))) })).toContain('the files give that identity no role assignment');
  });
});

describe('the job scale set of an Azure docker-autoscaler manager: an identity on it is one every job holds', () => {
  /** A config.toml for the docker-autoscaler executor with the Azure fleeting plugin, scaling scale set `name`. */
  const autoscalerToml = (name: string, plugin = 'fleeting-plugin-azure') => `concurrent = 4
[[runners]]
  name = "az-autoscaler"
  url = "https://gitlab.example.com"
  token = "$RUNNER_TOKEN"
  executor = "docker-autoscaler"
  [runners.docker]
    image = "alpine:3.20"
  [runners.autoscaler]
    plugin = "${plugin}"
    capacity_per_instance = 1
    max_use_count = 1
    max_instances = 10
    [runners.autoscaler.plugin_config]
      name = "${name}"
      subscription_id = "00000000-0000-0000-0000-000000000000"
      resource_group_name = "rg-runners"
    [runners.autoscaler.connector_config]
      username = "runner"
`;
  const writesToml = (toml: string) => customData(`#!/bin/bash\nmkdir -p /etc/gitlab-runner\ncat > /etc/gitlab-runner/config.toml <<'TOML'\n${toml}TOML\nsystemctl restart gitlab-runner\n`);
  const scaleSet = (identity: string, name = '"vmss-jobs"', type = 'azurerm_linux_virtual_machine_scale_set') => `resource "${type}" "jobs" {
  name                = ${name}
  resource_group_name = "rg-runners"
  location            = "westeurope"
  sku                 = "Standard_D2s_v5"
  instances           = 0
  admin_username      = "runner"
${identity}}
`;
  const SYSTEM = '  identity {\n    type = "SystemAssigned"\n  }\n';
  const GRANT = `resource "azurerm_role_assignment" "jobs_acr" {
  scope                = "/subscriptions/0000/resourceGroups/rg-runners"
  role_definition_name = "AcrPush"
  principal_id         = azurerm_linux_virtual_machine_scale_set.jobs.identity[0].principal_id
}
`;
  const jobSetFinding = (files: Record<string, string>) => findings(files).find((f) => f.message.includes('the jobs of the runner manager'));

  it('a system-assigned identity on the scale set plugin_config names: RF713 (a warning: not the manager\'s identity) at its identity block, naming its role assignments; the fix keeps the identity on the manager', () => {
    const main = vm(writesToml(autoscalerToml('vmss-jobs'))) + scaleSet(SYSTEM) + GRANT;
    const f = jobSetFinding({ 'main.tf': main });
    expect(f?.code).toBe('RF713');
    expect(f?.severity).toBe('warning');
    const line = main.split('\n').findIndex((l, i) => i > main.split('\n').findIndex((x) => x.includes('"jobs"')) && l.includes('identity {')) + 1;
    expect(f?.path).toBe(`main.tf:${line}:3`);
    expect(f?.message).toContain('the jobs of the runner manager azurerm_linux_virtual_machine.runner (docker-autoscaler, plugin_config name "vmss-jobs") run on the VMs of scale set azurerm_linux_virtual_machine_scale_set.jobs, which has a managed identity (SystemAssigned)');
    expect(f?.message).toContain('169.254.169.254');
    expect(f?.message).toContain('the files give that identity "AcrPush" at /subscriptions/0000/resourceGroups/rg-runners, written at main.tf:');
    expect(f?.fix).toContain('remove the `identity` block from the job scale set azurerm_linux_virtual_machine_scale_set.jobs and keep the managed identity on the manager VM azurerm_linux_virtual_machine.runner');
    // The manager's own RF713 is not said: docker-autoscaler jobs do not run on the manager.
    expect(findings({ 'main.tf': main }).filter((x) => x.code === 'RF713')).toHaveLength(1);
  });

  it('the manager\'s own user-assigned identity on the job scale set: RF713 as an error, naming it', () => {
    const user = '  identity {\n    type         = "UserAssigned"\n    identity_ids = [azurerm_user_assigned_identity.runner.id]\n  }\n';
    const main = `${vm(writesToml(autoscalerToml('vmss-jobs')), user)}${scaleSet(user, '"vmss-jobs"', 'azurerm_orchestrated_virtual_machine_scale_set')}resource "azurerm_user_assigned_identity" "runner" {
  name                = "runner"
  resource_group_name = "rg-runners"
  location            = "westeurope"
}
`;
    const f = jobSetFinding({ 'main.tf': main });
    expect(f?.code).toBe('RF713');
    expect(f?.severity).toBe('error');
    expect(f?.message).toContain("which has a managed identity (UserAssigned), the manager's own user-assigned identity azurerm_user_assigned_identity.runner");
    expect(f?.message).toContain('the files give that identity no role assignment');
  });

  it('the scale set without an identity: no finding about it; another fleeting plugin (AWS) is not read as an Azure scale set', () => {
    expect(jobSetFinding({ 'main.tf': vm(writesToml(autoscalerToml('vmss-jobs'))) + scaleSet('') })).toBeUndefined();
    expect(codes({ 'main.tf': vm(writesToml(autoscalerToml('vmss-jobs'))) + scaleSet('') })).not.toContain('RF713');
    expect(jobSetFinding({ 'main.tf': vm(writesToml(autoscalerToml('vmss-jobs', 'aws:latest'))) + scaleSet(SYSTEM) })).toBeUndefined();
    // The OCI reference `gitlab-runner fleeting install` fetches is the same plugin.
    expect(jobSetFinding({ 'main.tf': vm(writesToml(autoscalerToml('vmss-jobs', 'gitlab/fleeting-plugin-azure:1.0.0'))) + scaleSet(SYSTEM) })?.code).toBe('RF713');
  });

  it('a name no scale set of the files has (another name, or a shell variable): RF903, not proven', () => {
    for (const name of ['vmss-elsewhere', '$VMSS_NAME']) {
      const f = jobSetFinding({ 'main.tf': vm(writesToml(autoscalerToml(name))) + scaleSet(SYSTEM) });
      expect(f?.code).toBe('RF903');
      expect(f?.message).toContain(`(plugin_config name ${JSON.stringify(name)}), and no Azure scale set of the files given is that one`);
    }
  });

  /** A setup that registers with --template-config: the template holds [runners.autoscaler] and its plugin_config. */
  const registersWithTemplate = (before: string) => customData(`#!/bin/bash\n${before}gitlab-runner register --non-interactive --url https://gitlab.example.com --token "$RUNNER_TOKEN" --executor docker-autoscaler --docker-image alpine:3.20 --template-config /etc/gitlab-runner/template.toml\n`);

  it('register --template-config: the template a heredoc writes just before, or a file of that name given, is the runner\'s config: RF713 at the scale set its plugin_config names', () => {
    const heredoc = `mkdir -p /etc/gitlab-runner\ncat > /etc/gitlab-runner/template.toml <<'TOML'\n${autoscalerToml('vmss-jobs')}TOML\n`;
    const written = jobSetFinding({ 'main.tf': vm(registersWithTemplate(heredoc)) + scaleSet(SYSTEM) });
    expect(written?.code).toBe('RF713');
    expect(written?.message).toContain('the jobs of the runner manager azurerm_linux_virtual_machine.runner (docker-autoscaler, plugin_config name "vmss-jobs") run on the VMs of scale set azurerm_linux_virtual_machine_scale_set.jobs');
    const given = jobSetFinding({ 'main.tf': vm(registersWithTemplate('')) + scaleSet(SYSTEM), 'files/template.toml': autoscalerToml('vmss-jobs') });
    expect(given?.code).toBe('RF713');
  });

  it('the passing twin: a --template-config not among the files given says nothing of a scale set it may name', () => {
    expect(jobSetFinding({ 'main.tf': vm(registersWithTemplate('')) + scaleSet(SYSTEM) })).toBeUndefined();
  });

  it('a name the evaluator resolves: a templatefile() given the scale set\'s name, uploaded by a file provisioner', () => {
    const upload = `  provisioner "file" {
    content     = templatefile("\${path.module}/config.toml.tpl", { vmss_name = azurerm_linux_virtual_machine_scale_set.jobs.name })
    destination = "/etc/gitlab-runner/config.toml"
  }
`;
    const files = { 'main.tf': `variable "project" {}\n${vm(upload)}${scaleSet(SYSTEM, '"vmss-${var.project}"')}`, 'config.toml.tpl': autoscalerToml('${vmss_name}') };
    const f = jobSetFinding(files);
    expect(f?.code).toBe('RF713');
    expect(f?.message).toContain('run on the VMs of scale set azurerm_linux_virtual_machine_scale_set.jobs');
  });
});
