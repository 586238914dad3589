import { copyFileSync, existsSync, lstatSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Characters artifact names may not contain. */
const FORBIDDEN = /["':<>|*?\r\n\\/]/g;

/** A valid artifact name from parts (job, attempt, ...). */
export function artifactName(...parts: string[]): string {
  return parts.join('-').replace(FORBIDDEN, '_');
}

async function client() {
  // Loaded on use: the artifact client (and the Azure SDK inside it) is most of the bundle's start-up cost.
  const { DefaultArtifactClient } = await import('@actions/artifact');
  return new DefaultArtifactClient();
}

function isConflict(error: unknown): boolean {
  return /409|conflict|already exists/i.test(String((error as Error).message ?? error));
}

/**
 * Uploads a JSON file (plan.json, results.json) as a plain, unzipped artifact, so users download and read the
 * file itself. The artifact is named after the file; on a name clash (the same job twice in a workflow, a matrix)
 * a number is added.
 */
export async function uploadJsonArtifact(path: string, name: string): Promise<{ id: number; name: string }> {
  const artifacts = await client();
  for (let attempt = 1; attempt <= 20; attempt++) {
    const fileName = `${attempt === 1 ? name : `${name}-${attempt}`}.json`;
    const file = join(dirname(path), fileName);
    if (file !== path) copyFileSync(path, file);
    try {
      const result = await artifacts.uploadArtifact(fileName, [file], dirname(file), { skipArchive: true });
      return { id: result.id ?? 0, name: fileName };
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
  }
  throw new Error(`could not find a free artifact name for ${name}`);
}

/** Uploads a run's logs, results and job artifacts as one zip artifact. */
export async function uploadLogsArtifact(
  runDir: string,
  name: string,
): Promise<{ id: number; name: string }> {
  const files = logsArtifactFiles(runDir);
  const artifacts = await client();
  for (let attempt = 1; attempt <= 20; attempt++) {
    const candidate = attempt === 1 ? name : `${name}-${attempt}`;
    try {
      const result = await artifacts.uploadArtifact(candidate, files, runDir, { compressionLevel: 6 });
      return { id: result.id ?? 0, name: candidate };
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
  }
  throw new Error(`could not find a free artifact name for ${name}`);
}

/** True for a regular file (never through a symlink: the guest may have put one there). */
function isRegularFile(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The regular files of a run folder to upload: never a symlink, pipe or device (readdir's types are lstat's,
 * and the artifact client's zip step would follow a link), never the snapshot, workspaces or guest inputs.
 */
export function logsArtifactFiles(folder: string): string[] {
  if (!existsSync(folder)) return [];
  const files: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      if (['snapshot', 'snapshot-view', 'workspace', 'guest', 'outputs', 'inputs'].includes(entry.name)) {
        // the snapshot and workspaces are the repository; guest/ holds inputs (its result.json is kept below)
        if (entry.name === 'guest' && isRegularFile(join(path, 'result.json')))
          files.push(join(path, 'result.json'));
        continue;
      }
      files.push(...logsArtifactFiles(path));
    } else if (entry.isFile() && lstatSync(path).size > 0 && basename(path) !== 'secrets.env') {
      files.push(path);
    }
  }
  return files;
}

/** Where artifacts are read from: this workflow run, or another one (needs a token that can read its artifacts). */
export type ArtifactSource =
  | { kind: 'this-run' }
  | { kind: 'other-run'; runId: number; token: string; owner: string; repo: string };

function findBy(source: ArtifactSource) {
  return source.kind === 'this-run'
    ? {}
    : {
        findBy: {
          token: source.token,
          workflowRunId: source.runId,
          repositoryOwner: source.owner,
          repositoryName: source.repo,
        },
      };
}

/** The artifacts of a workflow run whose names start with `prefix`. */
export async function listArtifacts(
  source: ArtifactSource,
  prefix: string,
): Promise<{ id: number; name: string }[]> {
  const artifacts = await client();
  const { artifacts: found } = await artifacts.listArtifacts({ latest: true, ...findBy(source) });
  return found.filter((artifact) => artifact.name.startsWith(prefix)).map(({ id, name }) => ({ id, name }));
}

/** Downloads an artifact into `folder` (a JSON artifact arrives as its file; a zip is unpacked). */
export async function downloadArtifact(source: ArtifactSource, id: number, folder: string): Promise<void> {
  const artifacts = await client();
  await artifacts.downloadArtifact(id, { path: folder, ...findBy(source) });
}
