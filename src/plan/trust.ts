import { isAbsolute, normalize } from 'node:path';
import { z } from 'zod';
import type { Problem } from '../errors.js';
import { isVmExecutor } from '../executors/catalog.js';
import type { ExecuteNode, Plan, PrepareNode } from './schema.js';
import {
  DEFAULT_UNTRUSTED_LIMITS,
  type UntrustedLimits,
  untrustedLimitProblems,
} from './untrusted-limits.js';

/** The trust setting: `auto` decides from the event (untrusted for fork pull requests and pull_request_target). */
export const TrustSettingSchema = z.enum(['auto', 'trusted', 'untrusted'], {
  error: (issue) => `expected auto, trusted or untrusted, found ${JSON.stringify(issue.input)}`,
});
/** A trust setting. */
export type TrustSetting = z.infer<typeof TrustSettingSchema>;

/** What a run may do, decided before anything runs. */
export interface TrustPolicy {
  trusted: boolean;
  /** Why, in words for errors: `trust: untrusted (a pull request from a fork)`. */
  reason: string;
  /** Host folders untrusted runs may boot prebuilt image files from (absolute, normalized). */
  imagePaths: readonly string[];
  /** Guest networking an untrusted run is held to: `none` takes every guest's network device away. */
  network?: 'nat' | 'none';
  /** Runner variables an untrusted run's jobs may still name under `secrets:` (the workflow's `untrusted-secrets`). */
  untrustedSecrets?: readonly string[];
  /** Caps on what an untrusted run may ask for (jobs, memory, CPUs, timeouts); the defaults when absent. */
  limits?: UntrustedLimits;
}

/** A trusted policy: everything the jobs file asks for is allowed. */
export function trustedPolicy(reason = 'trust: trusted'): TrustPolicy {
  return { trusted: true, reason, imagePaths: [] };
}

/** An image file of a `files` image, to be checked where it lives. */
export interface ImageFileUse {
  image: string;
  field: 'kernel' | 'initrd' | 'disk';
  path: string;
}

/**
 * What an untrusted run may not do, found in the plan alone: run a job on the host, be handed a runner variable
 * the workflow did not allow by name (`secrets:`), put files git ignores into the snapshot (`include-ignored`),
 * prepare an image by running something on the host other than looking it up in the image cache (nix evaluates
 * the definition on the host), or ask for more than the caps (`untrusted-limits`). Build images are allowed here
 * and must come from the cache (checked when it can be looked at); `files` images' paths are returned for the
 * caller to check on disk.
 */
export function untrustedPlanProblems(
  plan: Plan,
  policy: TrustPolicy,
): { problems: Problem[]; files: ImageFileUse[] } {
  const problems: Problem[] = [];
  const files: ImageFileUse[] = [];
  if (policy.trusted) return { problems, files };
  const file = plan.source.jobsFile;
  problems.push(...untrustedWorkspaceProblems(plan, policy));
  for (const node of plan.nodes) {
    if (node.kind === 'execute') problems.push(...untrustedSecretProblems(file, node, policy));
    if (node.kind === 'execute' && !isVmExecutor(node.executor)) {
      problems.push({
        file,
        path: ['jobs', node.job, 'executor'],
        message: `runs on the runner itself (executor ${node.executor}); ${policy.reason} allows VM executors only`,
      });
    }
    if (node.kind === 'prepare' && node.type === 'nix') {
      problems.push({
        file,
        path: ['images', node.image, 'nix'],
        message: `a nix image is evaluated and built on the runner; ${policy.reason} boots only cached build images and prebuilt files from the trusted image folders`,
      });
    }
    if (node.kind === 'prepare' && node.type === 'files') files.push(...filesOf(node));
  }
  problems.push(...untrustedLimitProblems(plan, policy.limits ?? DEFAULT_UNTRUSTED_LIMITS, policy.reason));
  return { problems, files };
}

/** A job's `secrets:` an untrusted run does not hand over: every name the workflow did not allow. */
function untrustedSecretProblems(file: string, node: ExecuteNode, policy: TrustPolicy): Problem[] {
  const allowed = policy.untrustedSecrets ?? [];
  const refused = node.secrets.filter((name) => !allowed.includes(name));
  if (refused.length === 0) return [];
  const list =
    allowed.length === 0 ? 'none are' : `only ${allowed.join(', ')} ${allowed.length === 1 ? 'is' : 'are'}`;
  return [
    {
      file,
      path: ['jobs', node.job, 'secrets'],
      message: `names the runner variable(s) ${refused.join(', ')}; ${policy.reason} hands no secret to a job unless the workflow allows it by name in untrusted-secrets (${list} allowed)`,
    },
  ];
}

/** Snapshot settings that bring host files beyond the commit's tree into an untrusted run's workspace. */
function untrustedWorkspaceProblems(plan: Plan, policy: TrustPolicy): Problem[] {
  const patterns = plan.workspace.includeIgnored ?? [];
  if (patterns.length === 0) return [];
  return [
    {
      file: plan.source.jobsFile,
      path: ['workspace', 'include-ignored'],
      message: `brings files git ignores (${patterns.join(', ')}) from the runner's checkout into the snapshot; ${policy.reason} snapshots only the files git tracks`,
    },
  ];
}

function filesOf(node: PrepareNode): ImageFileUse[] {
  if (node.type !== 'files') return [];
  const uses: ImageFileUse[] = [
    { image: node.image, field: 'kernel', path: node.kernel },
    { image: node.image, field: 'initrd', path: node.initrd },
  ];
  if (node.disk !== null) uses.push({ image: node.image, field: 'disk', path: node.disk });
  return uses;
}

/** True when an absolute path lies inside one of the folders (compared as normalized paths). */
export function insideFolders(path: string, folders: readonly string[]): boolean {
  if (!isAbsolute(path)) return false;
  const normalized = normalize(path);
  return folders.some((folder) => {
    const root = normalize(folder).replace(/\/+$/, '');
    return normalized.startsWith(`${root}/`);
  });
}

/** What the workflow run says about where the code came from. */
export interface TrustEvidence {
  event: string | null;
  /** A pull request whose head lives in another repository (a fork), or whose head repository is gone. */
  forkPullRequest: boolean;
  /** Why a pull request's origin cannot be told (its event payload unreadable): then it is not trusted. */
  unknownOrigin?: string;
}

/**
 * The policy for a run: `trusted` and `untrusted` as given; `auto` is trusted only on events whose code is the
 * repository's own (see TRUSTED_EVENTS), so untrusted for pull requests from forks, `pull_request_target` (the
 * base repository's credentials next to the pull request's code), `issue_comment`, `workflow_run` and the rest.
 */
export function decideTrust(
  setting: TrustSetting,
  evidence: TrustEvidence,
  limits: {
    imagePaths: readonly string[];
    network?: 'nat' | 'none';
    untrustedSecrets?: readonly string[];
    caps?: UntrustedLimits;
  },
): TrustPolicy {
  const imagePaths = limits.imagePaths.map((path) => normalize(path).replace(/(.)\/+$/, '$1'));
  const untrustedSecrets = [...new Set(limits.untrustedSecrets ?? [])];
  const policy = (trusted: boolean, reason: string): TrustPolicy => ({
    trusted,
    reason,
    imagePaths,
    network: limits.network ?? 'nat',
    ...(untrustedSecrets.length > 0 ? { untrustedSecrets } : {}),
    limits: limits.caps ?? DEFAULT_UNTRUSTED_LIMITS,
  });
  if (setting === 'trusted') return policy(true, 'trust: trusted');
  if (setting === 'untrusted') return policy(false, 'trust: untrusted');
  // Fail closed: a pull request that cannot be shown to come from this repository is treated as a fork's.
  if (evidence.unknownOrigin !== undefined)
    return policy(false, `trust: auto (untrusted: ${evidence.unknownOrigin})`);
  if (evidence.forkPullRequest)
    return policy(false, 'trust: auto (untrusted for a pull request from a fork)');
  if (evidence.event !== null && TRUSTED_EVENTS.has(evidence.event))
    return policy(true, `trust: auto (trusted on ${evidence.event})`);
  // An allow-list, not a deny-list: pull_request_target, issue_comment, workflow_run and any event added later
  // can carry someone else's code, so they are untrusted unless the workflow says trust: trusted.
  return policy(false, `trust: auto (untrusted on ${evidence.event ?? 'an unknown event'})`);
}

/**
 * Events whose code is the repository's own: pushes and the like, and pull requests from a branch of the same
 * repository (whose authors can push to it anyway). Fork pull requests are caught before this list is read.
 */
const TRUSTED_EVENTS = new Set([
  'push',
  'schedule',
  'workflow_dispatch',
  'repository_dispatch',
  'merge_group',
  'release',
  'create',
  'pull_request',
  'pull_request_review',
  'pull_request_review_comment',
]);

/**
 * A policy no more trusted than `limit` (another run's, or a plan's record): an untrusted limit makes the policy
 * untrusted with the limit's reason; a trusted limit changes nothing (trust is never raised).
 */
export function cappedBy(policy: TrustPolicy, limit: { trusted: boolean; reason: string }): TrustPolicy {
  if (!policy.trusted || limit.trusted) return policy;
  return { ...policy, trusted: false, reason: limit.reason };
}

/** Pull request events: their code may come from a fork, which only their payload tells. */
export const PULL_REQUEST_EVENTS: ReadonlySet<string> = new Set([
  'pull_request',
  'pull_request_review',
  'pull_request_review_comment',
  'pull_request_target',
]);
