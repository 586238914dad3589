import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { credentialsFor } from '../../src/oci/credentials.js';

const home = mkdtempSync(join(tmpdir(), 'vmplan-docker-config-'));
afterAll(() => rmSync(home, { recursive: true, force: true }));
mkdirSync(join(home, '.docker'));
writeFileSync(
  join(home, '.docker/config.json'),
  JSON.stringify({
    auths: {
      'registry.example.com': { auth: Buffer.from('robot:pa:ss').toString('base64') },
      'https://ghcr.io': { auth: Buffer.from('octocat:ghp_fromlogin').toString('base64') },
      'quay.io': { username: 'q', password: 'qp' },
      'helper.example.com': {},
    },
    credsStore: 'osxkeychain',
  }),
);

describe('registry credentials', () => {
  it("uses the workflow's token for GHCR, as the workflow's actor", () => {
    expect(credentialsFor('ghcr.io', { GITHUB_TOKEN: 'ghs_abc', GITHUB_ACTOR: 'ci-bot' }, home)).toEqual({
      username: 'ci-bot',
      password: 'ghs_abc',
    });
  });

  it("never hands the workflow's token to a registry whose name merely contains or ends in ghcr.io", () => {
    const env = { GITHUB_TOKEN: 'ghs_workflow_token', GITHUB_ACTOR: 'ci-bot' };
    const empty = join(home, 'no-docker-config');
    for (const registry of [
      'evilghcr.io',
      'ghcr.io.evil.com',
      'notghcr.io',
      'x.ghcr.io',
      'ghcr.io:5000',
      'ghcr.iox',
      'GHCR.IO.evil.com',
    ]) {
      const found = credentialsFor(registry, { ...env, DOCKER_CONFIG: empty }, home);
      expect([registry, found]).toEqual([registry, undefined]);
    }
    // A docker login for ghcr.io is not one for a look-alike either.
    expect(credentialsFor('evilghcr.io', {}, home)).toBeUndefined();
    expect(credentialsFor('ghcr.io.evil.com', {}, home)).toBeUndefined();
    // The control: GHCR itself gets it.
    expect(credentialsFor('ghcr.io', { ...env, DOCKER_CONFIG: empty }, home)?.password).toBe(
      'ghs_workflow_token',
    );
  });

  it('reads docker login entries (auth or username/password, with or without a scheme), splitting at the first colon', () => {
    expect(credentialsFor('registry.example.com', {}, home)).toEqual({
      username: 'robot',
      password: 'pa:ss',
    });
    expect(credentialsFor('ghcr.io', {}, home)).toEqual({ username: 'octocat', password: 'ghp_fromlogin' });
    expect(credentialsFor('quay.io', {}, home)).toEqual({ username: 'q', password: 'qp' });
    expect(credentialsFor('quay.io', { DOCKER_CONFIG: join(home, 'elsewhere') }, home)).toBeUndefined();
  });

  it("never hands one registry's docker login to another whose name is part of it, or the same host on a port", () => {
    // A login for registry.example.com is not one for example.com; one for quay.io.evil.com not one for quay.io.
    const config = join(home, 'lookalikes');
    mkdirSync(config);
    writeFileSync(
      join(config, 'config.json'),
      JSON.stringify({
        auths: {
          'https://registry.example.com/v1/': { auth: Buffer.from('robot:secret1').toString('base64') },
          'quay.io.evil.com': { username: 'e', password: 'secret2' },
          'localhost:5000': { username: 'l', password: 'secret3' },
        },
      }),
    );
    for (const registry of ['example.com', 'quay.io', 'evil.com', 'localhost', 'localhost:500', 'io']) {
      expect([registry, credentialsFor(registry, { DOCKER_CONFIG: config }, home)]).toEqual([
        registry,
        undefined,
      ]);
    }
    // The controls: each login still serves its own registry.
    expect(credentialsFor('registry.example.com', { DOCKER_CONFIG: config }, home)?.password).toBe('secret1');
    expect(credentialsFor('localhost:5000', { DOCKER_CONFIG: config }, home)?.password).toBe('secret3');
  });

  it('finds none for a registry nobody logged in to, or one behind a credential helper it does not run', () => {
    expect(credentialsFor('other.example.com', {}, home)).toBeUndefined();
    expect(credentialsFor('helper.example.com', {}, home)).toBeUndefined();
  });
});
