import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Credentials } from './client.js';

/**
 * Credentials for a registry: for GHCR the workflow's token (GITHUB_TOKEN, as GITHUB_ACTOR); otherwise the standard
 * docker config file (`$DOCKER_CONFIG/config.json` or `~/.docker/config.json`, as `docker login` writes it).
 * Credential helpers (`credsStore`, `credHelpers`) are not run: vmplan starts no programs a config names.
 */
export function credentialsFor(
  registry: string,
  env: NodeJS.ProcessEnv,
  home: string = homedir(),
): Credentials | undefined {
  if (registry === 'ghcr.io' && env.GITHUB_TOKEN !== undefined && env.GITHUB_TOKEN !== '')
    return { username: env.GITHUB_ACTOR ?? 'x-access-token', password: env.GITHUB_TOKEN };
  const file = join(env.DOCKER_CONFIG ?? join(home, '.docker'), 'config.json');
  let config: { auths?: Record<string, { auth?: string; username?: string; password?: string }> };
  try {
    config = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  const entry = Object.entries(config.auths ?? {}).find(
    ([key]) => key.replace(/^https?:\/\//, '').replace(/\/.*$/, '') === registry,
  )?.[1];
  if (entry === undefined) return undefined;
  if (entry.username !== undefined && entry.password !== undefined)
    return { username: entry.username, password: entry.password };
  if (entry.auth === undefined) return undefined;
  const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
