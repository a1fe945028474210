import { describe, expect, it } from 'vitest';
import { configTomlTemplateSources as sourcesIn, freeFormArgs } from '../src/doctor/ansible.js';
import { yamlFileOf } from '../src/doctor/yaml-documents.js';

/** The walker reads the documents a YAML file was read into (yaml-documents.ts); here, a text read alone. */
const configTomlTemplateSources = (path: string, text: string) => sourcesIn(path, yamlFileOf(text));

/**
 * Issue 53d: the template tasks that render config.toml (ansible-template.ts) are found by ansible.ts's
 * task walker, the one the register reader uses (plays, pre/post tasks, handlers, block/rescue/always),
 * with one `key=value` parser for the module's one-line form. Fixtures are hand-written.
 */
describe('one Ansible task walker for config.toml templates', () => {
  it("freeFormArgs: key=value pairs, quoted values without their quotes", () => {
    expect([...freeFormArgs('src=runner.j2 dest="/etc/gitlab runner/config.toml" mode=\'0600\'')]).toEqual([
      ['src', 'runner.j2'],
      ['dest', '/etc/gitlab runner/config.toml'],
      ['mode', '0600'],
    ]);
  });

  it('a template task in a handler, in a block, in rescue, and a task file of template tasks only: each found', () => {
    const playbook = `- hosts: runners
  handlers:
    - name: render
      template: src=a.j2 dest=/etc/gitlab-runner/config.toml
  tasks:
    - block:
        - ansible.builtin.template:
            src: b.j2
            dest: /etc/gitlab-runner/config.toml
      rescue:
        - copy:
            content: "{{ lookup('template', 'c.j2') }}"
            dest: /etc/gitlab-runner/config.toml
        - shell: echo '{{ lookup("ansible.builtin.template", "d.j2") }}' >> /etc/gitlab-runner/config.toml
`;
    expect(configTomlTemplateSources('site.yml', playbook)).toEqual(['a.j2', 'b.j2', 'c.j2', 'd.j2']);
    expect(configTomlTemplateSources('roles/ci/tasks/main.yml', '- name: config\n  template:\n    src: config.j2\n    dest: /etc/gitlab-runner/config.toml\n')).toEqual(['config.j2']);
  });

  it('the passing twins: another dest, a src with markup, a mapping file and a file that is no YAML: none', () => {
    expect(configTomlTemplateSources('site.yml', '- hosts: all\n  tasks:\n    - template: src=a.j2 dest=/etc/motd\n    - template: src={{ t }} dest=/etc/gitlab-runner/config.toml\n')).toEqual([]);
    expect(configTomlTemplateSources('values.yaml', 'template:\n  src: a.j2\n  dest: /etc/gitlab-runner/config.toml\n')).toEqual([]);
    expect(configTomlTemplateSources('notes.txt', '- template: src=a.j2 dest=/etc/gitlab-runner/config.toml\n')).toEqual([]);
  });
});
