import { describe, expect, it } from 'vitest';
import { inShellComment, shellCommentScanner } from '../src/platforms/aws-vm/shell-comment.js';
import { groupJoin } from '../src/doctor/vm.js';
import { codesIn, doctorWalked } from './helpers/doctor.js';
import { randomInt } from './helpers/rng.js';

/**
 * Stop 57: the doctor's shell-text readers in time linear in a line's length, whatever it holds.
 * Before, on one line: 20,000 `gitlab-runner=<version>` pins took 87 s and `gitlab-runner` followed by
 * 200,000 blanks 117 s (each pin's comment check rescanned the line from its start; the register
 * command's regex split a run of blanks every way), 8,000 register commands 21 s. The answers are the
 * same: the scanner is compared with inShellComment, groupJoin with the regex it replaces.
 */

const REGISTER = 'gitlab-runner register --non-interactive --url https://gitlab.example.com --token "$T" --executor shell';

/** The regex groupJoin replaced (src/doctor/vm.ts before stop 57), as the reference of its answers. */
const GROUP_JOIN = /\b(?:usermod\b[^\n]*?-a?G\s*([\w,.-]+)(?![\w,.-])[^\n]*\bgitlab-runner\b|gpasswd\s+-a\s+gitlab-runner\s+([\w.-]+)|adduser\s+gitlab-runner\s+([\w.-]+))/;

describe('shellCommentScanner answers as inShellComment, in one pass', () => {
  it('on 3,000 seeded texts, at places asked in order and out of order', () => {
    const draw = randomInt(20261206);
    const alphabet = ['a', 'b', ' ', '\t', '#', '"', "'", '\\', '\n', ';', '$', '{', '|', '(', '-'];
    let commented = 0;
    for (let n = 0; n < 3000; n++) {
      let text = '';
      const len = 1 + draw(60);
      for (let i = 0; i < len; i++) text += alphabet[draw(alphabet.length)];
      const ask = shellCommentScanner(text);
      const places = Array.from({ length: 1 + draw(12) }, () => draw(text.length + 1));
      // Mostly in order, as a regex's matches come; every fourth text as drawn (backwards too).
      if (n % 4 !== 0) places.sort((a, b) => a - b);
      for (const at of places) {
        const want = inShellComment(text, at);
        if (want) commented++;
        expect([text, at, ask(at)]).toEqual([text, at, want]);
      }
    }
    // The draw reaches both answers (a comparison of only `false` would prove little).
    expect(commented).toBeGreaterThan(1000);
  });
});

describe('groupJoin answers as the regex it replaced', () => {
  it('on 5,000 seeded lines', () => {
    const draw = randomInt(20261207);
    // Whole pieces of the three commands, and the characters their patterns turn on.
    const words = ['usermod ', 'sudo usermod', 'gpasswd -a gitlab-runner ', 'adduser gitlab-runner ', ' -aG ', ' -G', '-G ', ' -a', 'docker', 'sudo,docker', ' gitlab-runner', 'xgitlab-runner', 'gitlab-runner-x', ' ', '\t', ',', '.', '-', 'x', '"'];
    let joined = 0;
    for (let n = 0; n < 5000; n++) {
      let line = '';
      const len = 1 + draw(10);
      for (let i = 0; i < len; i++) line += words[draw(words.length)];
      const m = GROUP_JOIN.exec(line);
      const want = m ? (m[1] ?? m[2] ?? m[3] ?? '').split(',') : undefined;
      if (want) joined++;
      expect([line, groupJoin(line)]).toEqual([line, want]);
    }
    expect(joined).toBeGreaterThan(500);
  });

  it('a line of 40,000 `-G x` options after usermod: read at once, no join', () => {
    expect(groupJoin(`usermod gitlab-runner${' -G x'.repeat(40_000)}`)).toBeUndefined();
    expect(groupJoin(`usermod${' -G x'.repeat(40_000)} -aG docker gitlab-runner`)).toEqual(['x']);
  });
});

describe('the doctor over hostile shell lines', () => {
  const GRANT = 'usermod -aG docker gitlab-runner';
  const shellFindings = (files: Record<string, string>) => doctorWalked(files).findings.map((f) => `${f.code} ${f.path}`).sort();

  it('gitlab-runner followed by 200,000 blanks: read as any other word', () => {
    const blanks = shellFindings({ 'setup.sh': `${REGISTER}\n${GRANT}\ngitlab-runner${' '.repeat(200_000)}x\n` });
    expect(blanks).toContain('RF309 setup.sh:2:1');
    expect(blanks).toEqual(shellFindings({ 'setup.sh': `${REGISTER}\n${GRANT}\ngitlab-runner x\n` }));
  });

  it('20,000 version pins on one line: read, and a register after a # on that line is still a comment', () => {
    const pins = 'apt-get install -y gitlab-runner=16.1.0; '.repeat(20_000);
    const many = shellFindings({ 'setup.sh': `${REGISTER}\n${GRANT}\n${pins}\n` });
    expect(many).toContain('RF309 setup.sh:2:1');
    expect(many).toEqual(shellFindings({ 'setup.sh': `${REGISTER}\n${GRANT}\napt-get install -y gitlab-runner=16.1.0\n` }));
    // After the pins, on their line: a commented-out register registers nothing, so the grant is no RF309.
    expect(codesIn(doctorWalked({ 'setup.sh': `${pins}# ${REGISTER}\n${GRANT}\n` }), 'RF309')).toEqual([]);
    expect(codesIn(doctorWalked({ 'setup.sh': `${pins}${REGISTER}\n${GRANT}\n` }), 'RF309')).toHaveLength(1);
  });

  it('20,000 register commands on one line: read in one pass', () => {
    const r = doctorWalked({ 'setup.sh': `${`${REGISTER}; `.repeat(20_000)}\n${GRANT}\n` });
    expect(codesIn(r, 'RF309').map((f) => f.path)).toEqual(['setup.sh:2:1']);
  });
});
