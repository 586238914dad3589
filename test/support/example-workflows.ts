import { parse } from 'yaml';

/** One step of a workflow job, as far as these checks read it. */
interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}

/** The steps of every job of a workflow file's text. */
function stepsOf(text: string): { job: string; index: number; step: Step }[] {
  const workflow = parse(text) as { jobs?: Record<string, { steps?: Step[] }> };
  return Object.entries(workflow.jobs ?? {}).flatMap(([job, body]) =>
    (body.steps ?? []).map((step, index) => ({ job, index, step })),
  );
}

/** The first download-artifact major version that checks the content type and leaves unzipped artifacts alone. */
export const FIRST_UNZIPPED_DOWNLOAD = 8;

/**
 * Steps that download a vmplan artifact (plan.json, results.json: uploaded unzipped) with a download-artifact too
 * old to fetch one: before v8 it unzips everything. A step downloads a vmplan artifact when its name or pattern
 * says vmplan or comes from the action's plan-artifact output, or when it downloads every artifact of the run.
 */
export function unzippedDownloadProblems(text: string): string[] {
  const problems: string[] = [];
  for (const { job, index, step } of stepsOf(text)) {
    const match = /^actions\/download-artifact@v?(\d+)/.exec(step.uses ?? '');
    if (match === null) continue;
    const what = `${step.with?.name ?? ''} ${step.with?.pattern ?? ''}`;
    const everything = step.with?.name === undefined && step.with?.pattern === undefined;
    if (!everything && !/vmplan|plan-artifact|results-artifact/.test(what)) continue;
    if (Number(match[1]) < FIRST_UNZIPPED_DOWNLOAD)
      problems.push(
        `jobs.${job}.steps[${index}]: ${step.uses} cannot download vmplan's unzipped artifacts (it unzips everything); use actions/download-artifact@v${FIRST_UNZIPPED_DOWNLOAD}`,
      );
  }
  return problems;
}

/** `with:` keys of vmplan steps that are not inputs of the action. */
export function unknownInputProblems(text: string, inputs: readonly string[]): string[] {
  return stepsOf(text).flatMap(({ job, index, step }) =>
    /(^|\/)vmplan@/.test(step.uses ?? '')
      ? Object.keys(step.with ?? {})
          .filter((key) => !inputs.includes(key))
          .map((key) => `jobs.${job}.steps[${index}]: vmplan has no input "${key}"`)
      : [],
  );
}

/**
 * The first major version of each action the examples use that runs on node24 (GitHub moves actions off node20;
 * a node20 action warns now and stops working later). Actions not listed are not checked.
 */
export const FIRST_NODE24: Readonly<Record<string, number>> = {
  'actions/checkout': 5,
  'actions/cache': 5,
  'actions/cache/restore': 5,
  'actions/cache/save': 5,
  'actions/upload-artifact': 6,
  'actions/download-artifact': 7,
  'actions/setup-node': 5,
  'actions/github-script': 8,
};

/** Steps using a version of a known action that still runs on node20. */
export function node20Problems(text: string): string[] {
  const problems: string[] = [];
  for (const { job, index, step } of stepsOf(text)) {
    const match = /^([^@]+)@v?(\d+)/.exec(step.uses ?? '');
    const first = match === null ? undefined : FIRST_NODE24[match[1]!];
    if (first !== undefined && Number(match![2]) < first)
      problems.push(
        `jobs.${job}.steps[${index}]: ${step.uses} runs on node20; use ${match![1]}@v${first} or newer`,
      );
  }
  return problems;
}

/**
 * `run:` scripts with a `${{ }}` expression in them: its value becomes script text before the shell sees it, so an
 * output holding JSON (or quotes, or `$(…)`) breaks the script or runs as code. Pass values through `env:`.
 */
export function expressionInRunProblems(text: string): string[] {
  return stepsOf(text).flatMap(({ job, index, step }) =>
    [...(step.run ?? '').matchAll(/\$\{\{(.*?)\}\}/g)].map(
      ([, expression]) =>
        `jobs.${job}.steps[${index}]: run: has \${{${expression}}}; pass it through env: and use "$NAME"`,
    ),
  );
}
