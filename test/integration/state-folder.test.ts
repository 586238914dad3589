import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runVmplan } from '../support/cli.js';
import { testProject } from '../support/project.js';

describe('a state folder that cannot be one', () => {
  const jobs = 'version: 1\ndefaults: { executor: host }\njobs:\n  unit: { run: "true" }\n';

  it('is named with what is wrong, exit 2, and nothing runs', async () => {
    const project = testProject(jobs);
    writeFileSync(join(project.root, 'state-file'), 'not a folder');
    const asFile = await runVmplan(['run', '--state-dir', 'state-file'], { cwd: project.root });
    expect(asFile.code).toBe(2);
    expect(asFile.stderr).toBe(
      `state folder ${join(project.root, 'state-file')}: it, or a folder above it, is a file\n`,
    );

    mkdirSync(join(project.root, 'state'));
    writeFileSync(join(project.root, 'state/runs'), '');
    const runsAsFile = await runVmplan(['run', '--state-dir', 'state'], { cwd: project.root });
    expect(runsAsFile.code).toBe(2);
    expect(runsAsFile.stderr).toBe(
      `state folder ${join(project.root, 'state')}: runs is not a folder (move it away: vmplan keeps its runs there)\n`,
    );
    expect(runsAsFile.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(join(project.root, 'state')).sort()).toEqual(['runs']);
    expect(existsSync(join(project.root, '.vmplan'))).toBe(false);
  });
});
