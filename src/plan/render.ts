import type { ExecuteNode, Plan, PlanNode, Precondition, PrepareNode } from './schema.js';

/**
 * A readable, stable text view of a plan: source, scope, stages with their nodes, exclusions, and what the plan
 * requires of the machine that runs it. Given an environment, it also says whether each secret is set there.
 */
export function renderPlan(plan: Plan, here?: { env: NodeJS.ProcessEnv }): string {
  const lines: string[] = [];
  const jobs = plan.nodes.filter((node) => node.kind === 'execute').length;
  const images = plan.nodes.length - jobs;
  lines.push(
    `Plan ${plan.planId.slice(0, 12)}  (schema ${plan.schemaVersion}, vmplan ${plan.generator.version}, created ${plan.createdAt})`,
  );
  lines.push(
    `  ${jobs} job(s), ${images} image(s), ${plan.stages.length} stage(s), ${plan.excluded.length} excluded`,
  );
  lines.push(`Source:    ${renderSource(plan)}`);
  lines.push(`Jobs file: ${plan.source.jobsFile} (sha256 ${plan.source.jobsFileSha256.slice(0, 12)})`);
  lines.push(
    `Selection: ${plan.scope.only === null ? 'all jobs' : `only ${plan.scope.only.join(', ')} (and what they need)`}`,
  );
  const changes = plan.scope.changes;
  lines.push(
    `Changes:   ${changes.known ? `${changes.files.length} changed file(s) from ${changes.source}` : `unknown (${changes.reason}); paths filters not applied`}`,
  );
  if (plan.scope.executor !== null) lines.push(`Executor:  ${plan.scope.executor} (forced)`);

  const byId = new Map(plan.nodes.map((node) => [node.id, node]));
  const width = Math.max(8, ...plan.nodes.map((node) => node.id.length));
  plan.stages.forEach((stage, index) => {
    lines.push('', `Stage ${index + 1}`);
    for (const id of stage) lines.push(`  ${renderNode(byId.get(id)!, width)}`);
  });

  lines.push(...renderMatrices(plan));
  if (plan.excluded.length > 0) {
    lines.push('', 'Excluded');
    const excludedWidth = Math.max(...plan.excluded.map((entry) => entry.job.length));
    for (const entry of plan.excluded) lines.push(`  ${entry.job.padEnd(excludedWidth)}  ${entry.message}`);
  }
  if (plan.preconditions.length > 0) {
    lines.push('', 'Requires');
    for (const precondition of plan.preconditions) lines.push(`  ${renderPrecondition(precondition, here)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The variants of each matrix job, grouped under it: `test (4 variants)` then `test-node-22-arm64  test (node 22, arm64)`. */
function renderMatrices(plan: Plan): string[] {
  const byJob = new Map<string, ExecuteNode[]>();
  for (const node of plan.nodes) {
    if (node.kind !== 'execute' || node.matrix === undefined) continue;
    byJob.set(node.matrix.job, [...(byJob.get(node.matrix.job) ?? []), node]);
  }
  if (byJob.size === 0) return [];
  const lines = ['', 'Matrix jobs'];
  for (const job of [...byJob.keys()].sort()) {
    const variants = byJob.get(job)!.sort((a, b) => (a.job < b.job ? -1 : a.job > b.job ? 1 : 0));
    const failFast = variants[0]!.matrix!.failFast === false ? ', fail-fast: false' : '';
    lines.push(`  ${job} (${variants.length} variant(s)${failFast})`);
    const width = Math.max(...variants.map((node) => node.job.length));
    for (const node of variants) lines.push(`    ${node.job.padEnd(width)}  ${node.matrix!.name}`);
  }
  return lines;
}

function renderSource(plan: Plan): string {
  const { repository, commit, ref, event } = plan.source;
  const parts = [repository ?? '(local)', commit === null ? null : `@ ${commit.slice(0, 12)}`];
  const details = [ref, event].filter((part): part is string => part !== null);
  return `${parts.filter(Boolean).join(' ')}${details.length > 0 ? ` (${details.join(', ')})` : ''}`;
}

function renderNode(node: PlanNode, width: number): string {
  const id = node.id.padEnd(width);
  return node.kind === 'prepare' ? renderPrepare(node, id) : renderExecute(node, id);
}

function renderPrepare(node: PrepareNode, id: string): string {
  const what =
    node.type === 'files'
      ? `files ${node.kernel}`
      : node.type === 'build'
        ? `build: ${firstLine(node.run)}`
        : node.type === 'nix'
          ? `nix ${node.installable}`
          : `oci ${node.reference.split('@')[0]}@${node.digest.slice(0, 19)}`;
  return `${id}  prepare ${node.arch}  ${what}  [cache ${node.cacheKey.slice(0, 8)}, used by ${node.usedBy.length}]`;
}

function renderExecute(node: ExecuteNode, id: string): string {
  const parts = [node.executor.padEnd(5)];
  if (node.image !== null) parts.push(`${node.image} ${node.cpus} cpu ${node.memory} MiB`);
  parts.push(`timeout ${node.timeoutMinutes}m`);
  if (node.needs.length > 0) parts.push(`needs ${node.needs.join(', ')}`);
  if (node.secrets.length > 0) parts.push(`secrets ${node.secrets.join(', ')}`);
  if (node.runAsRoot) parts.push('as root');
  if (node.writableWorkspace) parts.push('writable workspace');
  if (node.retry !== undefined) parts.push(`retries ${node.retry.retries} on ${node.retry.on.join('/')}`);
  if (node.outputs !== undefined) parts.push(`outputs ${node.outputs.join(', ')}`);
  for (const received of node.receives ?? [])
    parts.push(`gets ${received.paths.join(', ')} from ${received.from}`);
  return `${id}  ${parts.join('  ')}\n  ${' '.repeat(id.length)}  $ ${firstLine(node.command)}`;
}

function renderPrecondition(
  precondition: Precondition,
  here: { env: NodeJS.ProcessEnv } | undefined,
): string {
  const count = `${precondition.nodes.length} node(s)`;
  switch (precondition.kind) {
    case 'executor':
      return `the ${precondition.executor} executor (${count})`;
    case 'secret': {
      const now =
        here === undefined
          ? ''
          : (here.env[precondition.name] ?? '') === ''
            ? ' — not set here'
            : ' — set here';
      return `secret ${precondition.name} in the environment (${precondition.nodes.join(', ')})${now}`;
    }
    case 'host-arch':
      return `an ${precondition.arch} host (vfkit runs guests of the host's architecture; ${count})`;
  }
}

function firstLine(script: string): string {
  const lines = script.trim().split('\n');
  const first = lines[0]!.length > 80 ? `${lines[0]!.slice(0, 77)}...` : lines[0]!;
  return lines.length > 1 ? `${first}  (+${lines.length - 1} line(s))` : first;
}
