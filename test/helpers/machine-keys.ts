/** Codes test/doctor-machine-keys.test.ts tests with a failing and a passing case: a docker-machine key option set to a placeholder or a variable. */
export const MACHINE_KEY_TESTED = ['RF928'] as const;
/** Codes test/doctor-credential-placeholders.test.ts tests with a failing and a passing case: a cloud credential key set to AWS's example key or a variable's name. */
export const CREDENTIAL_NOTE_TESTED = ['RF933'] as const;
/** Codes test/doctor-provisioners.test.ts tests with a failing and a passing case: a cloud credential key set from a Terraform value in a runner host's user data or provisioner. */
export const HOST_STATIC_KEY_TESTED = ['RF937'] as const;

/**
 * A shell heredoc writing a docker+machine config.toml (`cat > /etc/gitlab-runner/config.toml <<'TOML'`)
 * whose MachineOptions array is `options` as written (`["a", "b"]`, or entries on lines of their own),
 * every line after `indent`.
 */
export const machineConfigHeredoc = (options: string, indent = ''): string =>
  `cat > /etc/gitlab-runner/config.toml <<'TOML'
[[runners]]
  executor = "docker+machine"
  [runners.machine]
    MachineDriver = "amazonec2"
    MachineOptions = ${options}
TOML
`.replace(/^(?=.)/gm, indent);

/** A launch template whose user data writes a docker+machine config.toml in a heredoc, with these MachineOptions entries. */
export const machineOptionsLaunchTemplate = (options: string[]): string => `resource "aws_launch_template" "manager" {
  name_prefix = "runner-manager-"
  user_data = base64encode(<<-EOT
    #!/bin/bash
${machineConfigHeredoc(`[${options.map((o) => JSON.stringify(o)).join(', ')}]`, '    ')}  EOT
  )
}
`;

/** Chart values whose runners.config is a docker+machine config.toml with these MachineOptions entries. */
export const machineOptionsValues = (options: string[]): string => `gitlabUrl: https://gitlab.example.com/
runners:
  secret: gitlab-runner-token
  config: |
    [[runners]]
      executor = "docker+machine"
      [runners.machine]
        MachineDriver = "amazonec2"
        MachineOptions = [${options.map((o) => JSON.stringify(o)).join(', ')}]
`;
