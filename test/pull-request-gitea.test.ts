import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { silentLogger } from "@agentyard/kube-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DevCluster } from "../devcluster/cluster.ts";
import { type GiteaRepo, type GiteaServer, type GiteaUser, startGitea } from "../devcluster/gitea-server.ts";
import { waitFor } from "../devcluster/http.ts";
import { LOCAL_LABEL, LOCAL_TAINT, type NodeAgent, startNodeAgent } from "../devcluster/node-agent/index.ts";
import type { RunningOperator } from "../operator/main.ts";
import { orgManifest, taskManifest } from "../schema/fixtures.test-support.ts";
import type { AgentTask } from "../schema/index.ts";
import { gitIn } from "./support/git.ts";
import {
  applyManifest,
  clusterWithCrds,
  getJson,
  getTask,
  orgWhenReadyReason,
  phaseIs,
  startTestOperator,
  waitForTask,
} from "./support/operator.ts";

/** Gitea's pull request as its API shows it: the fields these tests look at. */
interface GiteaPull {
  number: number;
  title: string;
  body: string;
  state: string;
  html_url: string;
  head: { ref: string; sha: string };
  base: { ref: string };
  labels: { name: string }[];
  requested_reviewers: { login: string }[] | null;
}

/** What each task's command does: a change to push, different on every run. */
const CHANGE = [
  "sh",
  "-c",
  'echo "hello from $AGENTYARD_TASK, attempt $AGENTYARD_ATTEMPT, $(date +%s%N)" >> README.md',
];

const placement = {
  nodeSelector: { [LOCAL_LABEL]: "true" },
  tolerations: [{ key: LOCAL_TAINT.key, operator: "Exists" as const, effect: LOCAL_TAINT.effect }],
};

let work: string;
let gitea: GiteaServer;
let acme: GiteaUser;
let app: GiteaRepo;
let cluster: DevCluster;
let operator: RunningOperator;
let nodeAgent: NodeAgent;
/** A loopback port nothing listens on: a forge that is down. */
let closedPort: number;

async function freeClosedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function gitSecret(name: string, token: string): Promise<void> {
  await applyManifest(cluster, {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: "capi" },
    stringData: { token, username: acme.username },
  });
}

async function forgeOrg(name: string, git: Record<string, unknown>): Promise<void> {
  await applyManifest(
    cluster,
    orgManifest(name, {
      repo: { url: app.cloneUrl, branch: "main" },
      git: { credentialsSecretRef: { name: `${name}-git`, namespace: "capi" }, ...git },
      agent: { command: CHANGE, ...placement },
      editor: { enabled: false },
    }),
  );
  await orgWhenReadyReason(cluster, name, "Ready");
}

// A real Gitea (built from its Go module on first use: minutes), the devcluster, the operator and
// the node agent, which runs each task's agent and git containers as processes on this machine.
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "agentyard-pr-gitea-"));
  gitea = await startGitea({ dir: join(work, "gitea"), log: (line) => process.stderr.write(`${line}\n`) });
  acme = await gitea.createUser("acme");
  app = await gitea.createRepo("acme", "app");
  await gitea.api("POST", "/repos/acme/app/labels", { name: "agentyard", color: "#00aabb" });
  const reviewer = await gitea.createUser("reviewer");
  await gitea.api("PUT", `/repos/acme/app/collaborators/${reviewer.username}`, { permission: "write" });
  closedPort = await freeClosedPort();

  cluster = await clusterWithCrds("pull-requests");
  operator = await startTestOperator(cluster);
  nodeAgent = await startNodeAgent({
    kubeconfig: cluster.kubeconfigPath(),
    workDir: join(work, "node"),
    log: silentLogger(),
  });
  await applyManifest(cluster, { apiVersion: "v1", kind: "Namespace", metadata: { name: "capi" } });
  await gitSecret("forge-git", acme.token);
  await forgeOrg("forge", {
    forge: { type: "gitea" },
    pullRequests: { labels: ["agentyard"], reviewers: ["reviewer"] },
  });
}, 1_800_000);

afterAll(async () => {
  await nodeAgent?.stop();
  await operator?.stop();
  await cluster?.stop();
  await gitea?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const pull = (number: number) => gitea.api<GiteaPull>("GET", `/repos/acme/app/pulls/${number}`);
const pullsOf = async (head: string) =>
  (await gitea.api<GiteaPull[]>("GET", "/repos/acme/app/pulls?state=all&limit=50")).filter(
    (p) => p.head.ref === head,
  );

/** Runs a task to its end: created, or created again after the one of that name is deleted. */
async function runTask(
  org: string,
  name: string,
  spec: Record<string, unknown>,
  expected: "Succeeded" | "Failed" = "Succeeded",
): Promise<AgentTask> {
  const ns = `org-${org}`;
  if (await getTask(cluster, ns, name)) {
    await cluster.kubectl(["delete", "agenttask", name, "-n", ns, "--wait=true", "--timeout=60s"]);
    await waitFor(
      `${ns}/${name} to be gone`,
      async () => ((await getTask(cluster, ns, name)) ? undefined : true),
      {
        timeoutMs: 60_000,
      },
    );
  }
  await applyManifest(cluster, taskManifest(name, ns, { org, ...spec }));
  const done = await waitForTask(cluster, ns, name, "to finish", phaseIs("Succeeded", "Failed"), 120_000);
  expect(done.status?.phase, done.status?.message).toBe(expected);
  return done;
}

/** The logs of every container of the task's pod, as `kubectl logs` shows them. */
async function podLogs(ns: string, task: string): Promise<string> {
  const pods = await getJson<{ items: { metadata: { name: string } }[] }>(cluster, [
    "pods",
    "-n",
    ns,
    "-l",
    `agentyard.dev/task=${task}`,
  ]);
  let all = "";
  for (const pod of pods?.items ?? []) {
    for (const container of ["agent", "git"]) {
      const logs = await cluster.kubectl(["logs", pod.metadata.name, "-n", ns, "-c", container]);
      expect(logs.code, logs.stderr).toBe(0);
      all += logs.stdout;
    }
  }
  return all;
}

describe("pull requests a task opens on a real Gitea, through the operator and the node agent", () => {
  it("opens one whose head, base, title, body, labels and reviewers are what the Org and the task say", async () => {
    const done = await runTask("forge", "greet", {
      prompt: "Add a greeting\n\nSay hello in the README, in one line.",
    });
    const lastPR = done.status?.artifacts?.lastPR;
    expect(lastPR).toMatchObject({ branch: "agentyard/greet", base: "main", forge: "gitea", state: "open" });
    expect(done.status?.message).toBe(
      `finished: pushed agentyard/greet at ${lastPR?.commit.slice(0, 12)}; pull request #${lastPR?.number} (open)`,
    );
    const seen = await pull(lastPR?.number as number);
    expect(seen).toMatchObject({
      title: "Add a greeting",
      state: "open",
      html_url: lastPR?.url,
      head: { ref: "agentyard/greet", sha: lastPR?.commit },
      base: { ref: "main" },
    });
    expect(seen.body).toContain("Say hello in the README, in one line.");
    expect(seen.body).toContain("agentyard task org-forge/greet, attempt 1.");
    expect(seen.labels.map((l) => l.name)).toEqual(["agentyard"]);
    expect(seen.requested_reviewers?.map((u) => u.login)).toEqual(["reviewer"]);
    // kubectl's PR column, and with -o wide its state and page.
    const table = await cluster.kubectl(["get", "agenttasks", "greet", "-n", "org-forge"]);
    const [header, row] = table.stdout.trim().split("\n");
    expect(row?.slice(header?.search(/\bPR\b/)).split(/\s+/)[0]).toBe(String(lastPR?.number));
    const wide = await cluster.kubectl(["get", "agenttasks", "greet", "-n", "org-forge", "-o", "wide"]);
    expect(wide.stdout).toMatch(/PR-STATE\s+PR-URL/);
    const [wideHeader, wideRow] = wide.stdout.trim().split("\n");
    expect(wideRow?.slice(wideHeader?.indexOf("PR-STATE")).split(/\s+/).slice(0, 2)).toEqual([
      "open",
      lastPR?.url,
    ]);
    // The pull request's own page, as a person clicks through to it.
    expect((await fetch(lastPR?.url as string, { signal: AbortSignal.timeout(30_000) })).status).toBe(200);

    const everything = `${JSON.stringify(done)}\n${await podLogs("org-forge", "greet")}`;
    expect(everything).not.toContain(acme.token);
  });

  it("updates the same pull request when the task runs again, and reports a closed one as closed", async () => {
    const first = await runTask("forge", "again", { prompt: "Say hello" });
    const number = first.status?.artifacts?.lastPR?.number as number;
    expect(number).toBeGreaterThan(0);

    const second = await runTask("forge", "again", { prompt: "Say hello, warmly" });
    expect(second.status?.artifacts?.lastPR).toMatchObject({ number, state: "open" });
    expect(await pullsOf("agentyard/again")).toHaveLength(1);
    const updated = await pull(number);
    expect(updated.title).toBe("Say hello, warmly");
    expect(updated.head.sha).toBe(second.status?.artifacts?.lastPR?.commit);

    await gitea.api("PATCH", `/repos/acme/app/pulls/${number}`, { state: "closed" });
    const third = await runTask("forge", "again", { prompt: "Say hello once more" });
    // A person closed it: the agent neither reopens it nor opens another beside it.
    expect(third.status?.artifacts?.lastPR).toMatchObject({ number, state: "closed" });
    expect(third.status?.message).toContain(`pull request #${number} (closed)`);
    expect(await pullsOf("agentyard/again")).toHaveLength(1);
  });

  it("takes the task's own labels and draft over the Org's", async () => {
    const done = await runTask("forge", "drafted", {
      prompt: "Try an idea",
      pullRequest: { draft: true, labels: [] },
    });
    const seen = await pull(done.status?.artifacts?.lastPR?.number as number);
    expect(seen.title).toBe("WIP: Try an idea");
    expect(seen.labels).toEqual([]);
    expect(seen.requested_reviewers?.map((u) => u.login)).toEqual(["reviewer"]);
  });

  it("keeps the pushed branch and says why when the forge is down, and fails the task if the Org says so", async () => {
    await gitSecret("down-git", acme.token);
    await forgeOrg("down", {
      forge: { type: "gitea", apiUrl: `http://127.0.0.1:${closedPort}/api/v1` },
      pullRequests: { failTaskOnError: true },
    });
    const done = await runTask("down", "unreachable", { prompt: "Say hello" }, "Failed");
    const lastPR = done.status?.artifacts?.lastPR;
    expect(lastPR?.number).toBeUndefined();
    expect(lastPR?.pullRequestError).toMatch(new RegExp(`^gitea: .*127\\.0\\.0\\.1:${closedPort}`));
    expect(done.status?.message).toBe(
      `pushed agentyard/unreachable, but its pull request could not be opened (spec.git.pullRequests.failTaskOnError): ${lastPR?.pullRequestError}`,
    );
    const remote = new URL(app.cloneUrl);
    remote.username = acme.username;
    remote.password = acme.token;
    const ls = await gitIn(work, ["ls-remote", remote.toString(), "refs/heads/agentyard/unreachable"]);
    expect(ls.split(/\s/)[0]).toBe(lastPR?.commit);
    expect(JSON.stringify(done)).not.toContain(acme.token);
  });

  it("gives a clear error, without the token, when the token may push but not label", async () => {
    // Gitea keeps labels under the issue scope: this token pushes the branch, and the forge refuses
    // the look-up of the Org's labels, before anything is opened.
    const pushOnly = await gitea.createToken(acme, ["write:repository", "read:user"]);
    await gitSecret("scoped-git", pushOnly);
    await forgeOrg("scoped", { forge: { type: "gitea" }, pullRequests: { labels: ["agentyard"] } });
    const done = await runTask("scoped", "labelled", { prompt: "Say hello" });
    const lastPR = done.status?.artifacts?.lastPR;
    expect(lastPR?.branch).toBe("agentyard/labelled");
    expect(lastPR?.pullRequestError).toMatch(
      /^gitea: GET \/repos\/acme\/app\/labels answered HTTP 403 Forbidden: .*required=\[read:issue\].*\(the token lacks the rights for this\)$/,
    );
    expect(done.status?.message).toContain(`; no pull request: ${lastPR?.pullRequestError}`);
    const everything = `${JSON.stringify(done)}\n${await podLogs("org-scoped", "labelled")}`;
    expect(everything).not.toContain(pushOnly);
  });
});
