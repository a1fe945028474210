import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { doctor } from '../src/doctor/index.js';
import { corpusFiles, doctorEdited } from './helpers/doctor.js';

/**
 * The VM manager's token proof ("the manager reads its token parameter and no other runner's",
 * RF712 where it reads others') decided over every value of the manager role's tags its policies
 * test whose value the files do not show (aws:PrincipalTag/<key>, the role's tag from a variable):
 * a read that holds for some values only is RF903 (not shown) at the role's tags, never a pass,
 * and never the RF712 or RF106 asked with the tag left out.
 */
const CORPUS = join(import.meta.dirname, 'doctor', 'corpus');
const CLAIM = /^the manager reads its token parameter \/ci\/docker-ci\/token and no other runner's/;
const claim = (r: ReturnType<typeof doctor>) => r.proofs.find((p) => CLAIM.test(p.claim));
const shown = (r: ReturnType<typeof doctor>) => r.findings.map((f) => `${f.code} ${f.severity} ${f.path}`);
const tagged = (team: string): [string, string] => ['    team = var.team\n', `    team = "${team}"\n`];
const OTHERS = 'on parameters other than its own token parameter, such as another runner\'s /ci/another-runner/token';
const NOT_SHOWN = 'is not shown: the policies test aws:PrincipalTag/team, and the value of its tag team is not in the documents';

describe('doctor: the manager\'s token access over a tag of its role the files do not show', () => {
  describe('a grant keyed on the tag (silent miss before: the grant never held)', () => {
    const CASE = join(CORPUS, 'ec2-docker-manager-token-principal-tag-unresolved');
    const edited = (...edits: [string, string][]) => doctorEdited(CASE, edits);
    const PLATFORM = '        Resource  = "arn:aws:ssm:eu-west-1:111122223333:parameter/ci/*"\n        Condition = { StringEquals = { "aws:PrincipalTag/team" = "platform" } }';
    const OWN_GRANT = '      { Effect = "Allow", Action = "ssm:GetParameter", Resource = "arn:aws:ssm:eu-west-1:111122223333:parameter/ci/docker-ci/token" },\n';

    it('an Allow of ssm:GetParameter on /ci/* for team = platform, the role\'s team from a variable: RF903 at the role\'s tags, the proof not made (before: proven)', () => {
      const r = doctor(corpusFiles(CASE));
      expect(shown(r)).toEqual(['RF903 info main.tf:24:10']);
      expect(r.findings[0]!.message).toBe(`whether role ci-docker-runner can ssm:GetParameter ${OTHERS} ${NOT_SHOWN}`);
      expect(r.findings[0]!.fix).toContain('make the role\'s tags statically known (literal values, or variables with a default, in tags of aws_iam_role.ci');
      expect(claim(r)?.holds).toBe(false);
      expect(r.exitCode).toBe(0);
    });

    it('guard: the tag made known, as the answer over tags foresaw: platform reads other runners\' tokens (RF712), ci reads its own only (proven)', () => {
      const platform = edited(tagged('platform'));
      expect(platform.findings.map((f) => `${f.code} ${f.message}`)).toEqual([expect.stringMatching(new RegExp(`^RF712 runner docker-ci: the manager role can ssm:GetParameter ${OTHERS.replace(/[()]/g, '\\$&')}`))]);
      expect(claim(platform)?.holds).toBe(false);
      const ci = edited(tagged('ci'));
      expect(ci.findings).toEqual([]);
      expect(claim(ci)?.holds).toBe(true);
    });

    it('its own parameter read only through the tag-keyed grant: one RF903 naming its own read and the reach, not RF106 "cannot read" (before: RF106)', () => {
      const r = edited([OWN_GRANT, '']);
      expect(shown(r)).toEqual(['RF903 info main.tf:24:10']);
      expect(r.findings[0]!.message).toBe(`whether role ci-docker-runner can read its token parameter /ci/docker-ci/token (ssm:GetParameter), and whether it can ssm:GetParameter ${OTHERS} ${NOT_SHOWN}`);
      expect(claim(r)?.holds).toBe(false);
      expect(r.exitCode).toBe(0);
      // Guard: the tag made known as another team's: cannot read its token (RF106), as before.
      expect(edited([OWN_GRANT, ''], tagged('ci')).findings.map((f) => f.code)).toContain('RF106');
    });

    it('a customer key whose kms:Decrypt the role is granted for team = platform only: RF903 naming the decrypt (before: RF106 "cannot decrypt")', () => {
      const KEY = 'arn:aws:kms:eu-west-1:111122223333:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
      const decrypt = (team: string) => `      },\n      {\n        Effect    = "Allow"\n        Action    = "kms:Decrypt"\n        Resource  = "${KEY}"\n        Condition = { StringEquals = { "aws:PrincipalTag/team" = "${team}" } }`;
      const withKey = (team: string, ...more: [string, string][]) => edited(
        ['resource "aws_ssm_parameter" "token" {\n', `resource "aws_ssm_parameter" "token" {\n  key_id = "${KEY}"\n`],
        [PLATFORM, PLATFORM.replace('parameter/ci/*', 'parameter/app/*') + decrypt(team)],
        ...more,
      );
      const r = withKey('platform');
      expect(shown(r)).toEqual(['RF903 info main.tf:25:10']);
      expect(r.findings[0]!.message).toBe(`whether role ci-docker-runner can decrypt its token parameter with ${KEY} through SSM (kms:Decrypt), and whether it can kms:Decrypt for another runner's parameter, a direct call (not through SSM) ${NOT_SHOWN}`);
      expect(claim(r)?.holds).toBe(false);
      expect(r.exitCode).toBe(0);
      // Guard: the tag made known as another team's: cannot decrypt (RF106), as before.
      expect(withKey('platform', tagged('ci')).findings.map((f) => f.code)).toEqual(['RF106']);
    });

    it.each([
      ['on other parameters only (/app/*)', [PLATFORM, PLATFORM.replace('parameter/ci/*', 'parameter/app/*')]],
      ['on its own parameter only', [PLATFORM, PLATFORM.replace('parameter/ci/*', 'parameter/ci/docker-ci/token')]],
    ] as [string, [string, string]][])('guard: the tag-keyed Allow %s: sound whatever the tag, no RF903, every proof holds', (_name, edit) => {
      const r = edited(edit);
      expect(r.findings).toEqual([]);
      expect(r.proofs.every((p) => p.holds)).toBe(true);
    });
  });

  describe('a Deny keyed on the tag (false RF712 before: the Deny never held)', () => {
    const CASE = join(CORPUS, 'ec2-docker-manager-token-deny-principal-tag-unresolved');
    const edited = (...edits: [string, string][]) => doctorEdited(CASE, edits);

    it('AmazonSSMManagedInstanceCore and a Deny of other parameters for team = ci, the role\'s team from a variable: RF903, not RF712 (before: RF712)', () => {
      const r = doctor(corpusFiles(CASE));
      expect(shown(r)).toEqual(['RF903 info main.tf:24:10']);
      expect(r.findings[0]!.message).toBe(`whether role ci-docker-runner can ssm:GetParameter, ssm:GetParameters ${OTHERS} ${NOT_SHOWN}`);
      expect(claim(r)?.holds).toBe(false);
      expect(r.exitCode).toBe(0);
    });

    it('a Deny for every team but platform (StringNotEquals): RF903, not a proof (the request without the tag met the Deny)', () => {
      const r = edited(['StringEquals = { "aws:PrincipalTag/team" = "ci" }', 'StringNotEquals = { "aws:PrincipalTag/team" = "platform" }']);
      expect(shown(r)).toEqual(['RF903 info main.tf:24:10']);
      expect(claim(r)?.holds).toBe(false);
    });

    it('guard: the tag made known: ci is denied (proven), another team reads other runners\' tokens (RF712)', () => {
      const ci = edited(tagged('ci'));
      expect(ci.findings).toEqual([]);
      expect(claim(ci)?.holds).toBe(true);
      const app = edited(tagged('app'));
      expect(app.findings.map((f) => f.code)).toEqual(['RF712']);
      expect(claim(app)?.holds).toBe(false);
    });

    it('guard: a Deny of other parameters whatever the tag, beside the tag-keyed one: proven', () => {
      const r = edited(['      {\n        Sid         = "CiRolesReadTheirOwnOnly"', '      { Effect = "Deny", Action = "ssm:GetParameter*", NotResource = "arn:aws:ssm:eu-west-1:111122223333:parameter/ci/docker-ci/token" },\n      {\n        Sid         = "CiRolesReadTheirOwnOnly"']);
      expect(r.findings).toEqual([]);
      expect(claim(r)?.holds).toBe(true);
    });
  });
});
