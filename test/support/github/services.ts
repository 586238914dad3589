import { type Azurite, startAzurite } from './azurite.js';
import { FakeGitHubApi } from './fake-github-api.js';
import { TwirpArtifacts } from './twirp-artifacts.js';

/** Local stand-ins for GitHub's artifact service (Azurite behind a Twirp fake) and REST API, for one test file. */
export interface GitHubServices {
  azurite: Azurite;
  twirp: TwirpArtifacts;
  api: FakeGitHubApi;
  resultsUrl: string;
  apiUrl: string;
  stop(): Promise<void>;
}

/** Starts the services; the REST fake can list the Twirp fake's artifacts (as GitHub's API lists a run's). */
export async function startGitHubServices(
  options: { apiListsArtifacts?: boolean } = {},
): Promise<GitHubServices> {
  const azurite = await startAzurite();
  const twirp = new TwirpArtifacts(azurite.url);
  const resultsUrl = await twirp.start();
  const api = options.apiListsArtifacts === true ? new FakeGitHubApi(twirp) : new FakeGitHubApi();
  const apiUrl = await api.start();
  return {
    azurite,
    twirp,
    api,
    resultsUrl,
    apiUrl,
    async stop() {
      await twirp.stop();
      await api.stop();
      await azurite.stop();
    },
  };
}
