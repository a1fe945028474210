import type { ProviderSchema } from './types.js';

const DOCS = 'gitlabhq/terraform-provider-gitlab docs';

/** gitlabhq/gitlab 18.x (checked against the provider's generated docs; see each entry). */
export const GITLAB: ProviderSchema = {
  source: 'gitlabhq/gitlab',
  docs: `${DOCS}/index.md`,
  provider: {
    // base_url must end with a slash, e.g. https://gitlab.example.com/api/v4/
    attributes: ['token', 'base_url', 'cacert_file', 'insecure', 'client_cert', 'client_key', 'early_auth_check', 'alias'],
  },
  resources: {
    gitlab_user_runner: {
      docs: `${DOCS}/resources/user_runner.md`,
      attributes: ['runner_type', 'group_id', 'project_id', 'description', 'tag_list', 'untagged', 'locked', 'access_level', 'paused', 'maximum_timeout', 'maintenance_note'],
      required: ['runner_type'],
      // `token` is sensitive: it may only flow into other resources, never into an output.
      exports: ['id', 'token'],
    },
  },
  dataSources: {
    gitlab_group: {
      docs: `${DOCS}/data-sources/group.md`,
      attributes: ['full_path', 'group_id'],
      exports: ['id', 'group_id', 'full_path', 'name', 'web_url'],
    },
    gitlab_project: {
      docs: `${DOCS}/data-sources/project.md`,
      attributes: ['id', 'path_with_namespace'],
      exports: ['id', 'path_with_namespace', 'name', 'web_url'],
    },
  },
};
