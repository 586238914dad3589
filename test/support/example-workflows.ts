import { parse } from 'yaml';

/** One step of a workflow job, as far as these checks read it. */
interface Step {
  uses?: string;
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
