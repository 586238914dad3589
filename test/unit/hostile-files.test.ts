import { describe, expect, it } from 'vitest';
import { parseJobsFile } from '../../src/config/parse.js';
import { buildPlan } from '../../src/plan/build.js';
import { selectFromPlan } from '../../src/plan/select.js';
import { context, refusalOf } from '../support/jobs.js';

/** The message a jobs file is refused with (it must be). */
const refusal = (text: string) => refusalOf(() => parseJobsFile(text, 'vmplan.yml'));

describe('hostile jobs files', () => {
  it('refuse an alias bomb with the place of its first alias, not a crash', () => {
    const lines = ['version: 1', 'x0: &a0 [lol]'];
    for (let i = 1; i < 12; i++)
      lines.push(
        `x${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(',')}]`,
      );
    lines.push('jobs: { unit: { run: x, executor: host } }');
    expect(refusal(lines.join('\n'))).toBe(
      'vmplan.yml:3:10: too many YAML alias uses (the file expands past 1000): write the values out, or use fewer aliases',
    );
  });

  it('refuse 2,000 alias uses the same way', () => {
    const lines = ['version: 1', 'base: &b { run: x, executor: host }', 'jobs:'];
    for (let i = 0; i < 2000; i++) lines.push(`  j${i}: *b`);
    expect(refusal(lines.join('\n'))).toMatch(/^vmplan\.yml:4:7: too many YAML alias uses/);
  });

  it('plan a 20,000-job needs chain without overflowing the stack, and report a cycle in one', () => {
    const lines = ['version: 1', 'defaults: { executor: host }', 'jobs:'];
    for (let i = 0; i < 20_000; i++)
      lines.push(`  j${i}: { run: x${i === 0 ? '' : `, needs: [j${i - 1}]`} }`);
    const { config } = parseJobsFile(lines.join('\n'), 'vmplan.yml');
    const plan = buildPlan(config, context({ only: ['j19999'] }));
    expect(plan.stages).toHaveLength(20_000);
    expect(selectFromPlan(plan, ['j19999'], 'x', plan.createdAt).nodes).toHaveLength(20_000);
    lines[3] = '  j0: { run: x, needs: [j19999] }';
    expect(refusal(lines.join('\n'))).toBe(
      'vmplan.yml:4:24 jobs.j0.needs: dependency cycle of 20000 jobs: j0 → j19999 → j19998 → j19997 → j19996 → j19995 → j19994 → j19993 → j19992 → j19991 → … → j1 → j0',
    );
  }, 60_000);
});
