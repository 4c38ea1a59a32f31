import { rm } from "node:fs/promises";
import { join } from "node:path";
import { applyDemoSecret, DEMO_SECRET_NAMESPACE, type Kubectl } from "./dev-apply.ts";
import { type GiteaRepo, type GiteaServer, type GiteaUser, startGitea } from "./gitea-server.ts";

export const DEMO_GIT_SECRET = "demo-git";

export interface DemoForge {
  gitea: GiteaServer;
  /** The person's login on the forge's pages, and the agents' too (their token is its own). */
  user: GiteaUser;
  repo: GiteaRepo;
  /** What the demo Org's spec.git says: the Secret with the user's token, and the forge. */
  git: {
    credentialsSecretRef: { name: string; namespace: string };
    forge: { type: "gitea" };
  };
}

/**
 * `npm start --forge`: a Gitea of this run on loopback (its data lasts one run), a user `demo` with
 * a repository `demo/demo`, and the Secret with that user's token that the demo Org's git container
 * pushes and opens pull requests with.
 */
export async function startDemoForge(
  kubectl: Kubectl,
  stateDir: string,
  log: (line: string) => void,
): Promise<DemoForge> {
  const dir = join(stateDir, "gitea");
  await rm(dir, { recursive: true, force: true });
  const gitea = await startGitea({ dir, log });
  try {
    const user = await gitea.createUser("demo");
    const repo = await gitea.createRepo("demo", "demo");
    await applyDemoSecret(kubectl, DEMO_GIT_SECRET, { token: user.token, username: user.username });
    return {
      gitea,
      user,
      repo,
      git: {
        credentialsSecretRef: { name: DEMO_GIT_SECRET, namespace: DEMO_SECRET_NAMESPACE },
        forge: { type: "gitea" },
      },
    };
  } catch (err) {
    await gitea.stop();
    throw err;
  }
}
