import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ExecuteNode, reportGlobs } from '../../plan/schema.js';
import type { StaticNetwork } from './vm-spec.js';

/** Quotes a value for POSIX sh: single quotes, with embedded ones closed, escaped and reopened. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** `NAME='value'` lines that the guest agent sources. */
export function envFileText(variables: Record<string, string>): string {
  return Object.keys(variables)
    .sort()
    .map((name) => `${name}=${shellQuote(variables[name]!)}\n`)
    .join('');
}

/**
 * A `find -path` pattern matching at least what a workspace glob matches: `**` and braces widen to `*` (which
 * crosses "/" in find). The host filters what comes back with the exact glob.
 */
export function globToFindPattern(glob: string): string {
  const widened = glob
    .replace(/\/+$/, '')
    .replaceAll('**/', '*')
    .replaceAll('**', '*')
    .replace(/\{[^}]*\}/g, '*');
  return `./${widened}`;
}

/** What the guest agent needs besides the command: see docs/guest-protocol.md. */
export interface GuestJobSettings {
  node: ExecuteNode;
  timeoutSeconds: number;
  workspaceMode: 'overlay' | 'copy';
  /** The VM gets a vmplan-inputs share to lay over its snapshot. */
  inputs?: boolean;
  /** The VM has a network device (the agent loads its driver and asks for an address only then). */
  network?: boolean;
  /** Addresses to set without DHCP (the hypervisor's NAT always gives these). */
  staticNetwork?: StaticNetwork;
  /** The VM has a root disk (the agent loads the block and ext4 drivers only then). */
  disk?: boolean;
  /** An interactive shell on the console instead of the command (`vmplan shell`). */
  shell?: boolean;
}

/** Writes the job's guest folder (the vmplan-job share): job.env, env, secrets.env (0600, not for a shell), command.sh. */
export function writeGuestFiles(
  folder: string,
  settings: GuestJobSettings,
  secrets: Record<string, string>,
): void {
  const { node } = settings;
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const jobEnv = envFileText({
    VMPLAN_JOB: node.job,
    VMPLAN_WORKDIR: node.workingDirectory,
    VMPLAN_TIMEOUT_SECONDS: String(settings.timeoutSeconds),
    VMPLAN_RUN_AS_ROOT: node.runAsRoot ? '1' : '0',
    VMPLAN_WORKSPACE_MODE: settings.workspaceMode,
    VMPLAN_WRITABLE_WORKSPACE: node.writableWorkspace ? '1' : '0',
    VMPLAN_COLLECT_ARTIFACTS: node.artifacts.map(globToFindPattern).join('\n'),
    VMPLAN_COLLECT_REPORTS: reportGlobs(node).map(globToFindPattern).join('\n'),
    VMPLAN_COLLECT_OUTPUTS: (node.outputs ?? []).map(globToFindPattern).join('\n'),
    // Overlay mode: share vmplan-inputs goes over the snapshot (the outputs of the jobs it needs).
    VMPLAN_INPUTS: settings.inputs ? '1' : '0',
    VMPLAN_NETWORK: settings.network === false ? '0' : '1',
    // "address/prefix gateway dns", or empty: ask DHCP.
    VMPLAN_NET_STATIC:
      settings.network !== false && settings.staticNetwork !== undefined
        ? `${settings.staticNetwork.address} ${settings.staticNetwork.gateway} ${settings.staticNetwork.dns}`
        : '',
    VMPLAN_DISK: settings.disk ? '1' : '0',
    VMPLAN_SHELL: settings.shell === true ? '1' : '0',
    // One "name path" per line: share vmplan-cache-<name> goes at path.
    VMPLAN_CACHES: node.caches.map((cache) => `${cache.name} ${cache.guestPath}`).join('\n'),
  });
  writeFileSync(join(folder, 'job.env'), jobEnv);
  writeFileSync(join(folder, 'env'), envFileText({ ...node.env, VMPLAN_JOB: node.job }));
  writeFileSync(join(folder, 'command.sh'), `${node.command}\n`);
  // A shell never gets the job's secrets: the user typing in it is not the job.
  if (settings.shell === true) return;
  const secretsFile = join(folder, 'secrets.env');
  writeFileSync(secretsFile, envFileText(secrets), { mode: 0o600 });
  chmodSync(secretsFile, 0o600);
}
