import { copyFileSync, existsSync, readdirSync, statSync } from 'node:fs';
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
 * Uploads plan.json as a plain (unzipped) artifact, so users download and read the file itself. The artifact is
 * named after the file; on a name clash (the same job twice in a workflow, a matrix) a number is added.
 */
export async function uploadPlanArtifact(
  planPath: string,
  name: string,
): Promise<{ id: number; name: string }> {
  const artifacts = await client();
  for (let attempt = 1; attempt <= 20; attempt++) {
    const fileName = `${attempt === 1 ? name : `${name}-${attempt}`}.json`;
    const file = join(dirname(planPath), fileName);
    if (file !== planPath) copyFileSync(planPath, file);
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
  const files = listFiles(runDir);
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

function listFiles(folder: string): string[] {
  if (!existsSync(folder)) return [];
  const files: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'snapshot' || entry.name === 'workspace' || entry.name === 'guest') {
        // the snapshot and workspaces are the repository; guest/ holds inputs (its result.json is kept below)
        if (entry.name === 'guest' && existsSync(join(path, 'result.json')))
          files.push(join(path, 'result.json'));
        continue;
      }
      files.push(...listFiles(path));
    } else if (entry.isFile() && statSync(path).size > 0 && basename(path) !== 'secrets.env') {
      files.push(path);
    }
  }
  return files;
}
