import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DevCluster } from "../devcluster/cluster.ts";
import { demoOrg } from "../devcluster/demo.ts";
import { gitIn } from "../devcluster/git.ts";
import { waitFor } from "../devcluster/http.ts";
import { ANNOTATION_WARM_TEMPLATE, LABEL_WARM_MEMBER } from "../schema/contract/index.ts";
import { taskManifest } from "../schema/fixtures.test-support.ts";
import { type LocalAgents, startLocalAgents } from "./support/local-agents.ts";
import {
  applyManifest,
  asToken,
  getJson,
  getOrg,
  orgWhenReadyReason,
  phaseIs,
  waitForTask,
} from "./support/operator.ts";

/**
 * A warm pool on the devcluster's node agent: members are real pods (the runtime, its git container
 * and code-server as host processes) that wait for their binding, and a bound one runs its task.
 */

let world: LocalAgents;
let cluster: DevCluster;
const ORG = "pool";
const NS = `org-${ORG}`;

interface Pod {
  metadata: {
    name: string;
    uid: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    deletionTimestamp?: string;
    ownerReferences?: { kind: string; name: string }[];
  };
  status?: { phase?: string };
}

const podsWith = async (selector: string): Promise<Pod[]> =>
  ((await getJson<{ items: Pod[] }>(cluster, ["pods", "-n", NS, "-l", selector]))?.items ?? []).filter(
    (p) => !p.metadata.deletionTimestamp,
  );

const idleMembers = () => podsWith(`agentyard.dev/org=${ORG},app.kubernetes.io/component=warm`);

/** The pool's idle members once exactly `n` of them run, none of them in `not`. */
async function poolOf(n: number, what: string, not: string[] = []): Promise<Pod[]> {
  return waitFor(
    what,
    async () => {
      const idle = await idleMembers();
      const ok =
        idle.length === n &&
        idle.every((p) => p.status?.phase === "Running" && !not.includes(p.metadata.uid));
      return ok ? idle : undefined;
    },
    { timeoutMs: 120_000, intervalMs: 250 },
  );
}

const password = async (secret: string) =>
  (await getJson<{ data: { password: string } }>(cluster, ["secret", secret, "-n", NS]))?.data.password;

beforeAll(async () => {
  world = await startLocalAgents("warm-pool");
  cluster = world.cluster;
  const org = demoOrg(world.origin);
  await applyManifest(cluster, {
    ...org,
    metadata: { name: ORG },
    spec: { ...org.spec, agent: { ...org.spec.agent, workload: "Pod" }, warmPool: { size: 1 } },
  });
  await orgWhenReadyReason(cluster, ORG, "Ready");
}, 300_000);

afterAll(async () => {
  await world?.stop();
});

describe("an Org's warm pool", () => {
  it("fills; a task binds its member and runs in it, with no pod of its own; the pool refills", async () => {
    const [member] = await poolOf(1, "the pool to fill");
    if (!member) throw new Error("no member");
    const name = member.metadata.name;
    expect(member.metadata.ownerReferences?.map((o) => o.kind)).toEqual(["Org"]);
    const memberPassword = await password(`${name}-editor`);
    expect(memberPassword).toBeTruthy();
    await waitFor("the Org to count its ready member", async () =>
      (await getOrg(cluster, ORG))?.status?.warmPool?.ready === 1 ? true : undefined,
    );

    await applyManifest(
      cluster,
      taskManifest("quick", NS, {
        org: ORG,
        prompt: "Write a note",
        command: ["sh", "-c", 'echo "$AGENTYARD_TASK $AGENTYARD_PROMPT" > note.txt'],
      }),
    );
    const running = await waitForTask(
      cluster,
      NS,
      "quick",
      "to run",
      phaseIs("Running", "Succeeded"),
      60_000,
    );
    expect(running.status?.pod).toBe(name);
    const [bound] = await podsWith("agentyard.dev/task=quick");
    expect(bound?.metadata.uid).toBe(member.metadata.uid);
    expect(bound?.metadata.labels?.[LABEL_WARM_MEMBER]).toBe(name);
    expect(bound?.metadata.annotations?.[ANNOTATION_WARM_TEMPLATE]).toBeUndefined();
    expect(bound?.metadata.ownerReferences?.map((o) => o.kind)).toEqual(["AgentTask"]);
    // The editor the member started with keeps its password: the task's Secret holds the same.
    expect(await password("quick-editor")).toBe(memberPassword);

    const done = await waitForTask(
      cluster,
      NS,
      "quick",
      "to finish",
      phaseIs("Succeeded", "Failed"),
      120_000,
    );
    expect(done.status?.phase, done.status?.message).toBe("Succeeded");
    expect(await gitIn(world.origin, ["show", "agentyard/quick:note.txt"])).toBe("quick Write a note\n");

    const [next] = await poolOf(1, "the pool to refill", [member.metadata.uid]);
    if (!next) throw new Error("no member");

    // A member's identity reads its own binding and nothing else: not another member's binding,
    // which holds its task's prompt, nor a task's state, until a task binds it.
    const created = await cluster.kubectl(["create", "token", next.metadata.name, "-n", NS]);
    expect(created.code, created.stderr).toBe(0);
    const token = created.stdout.trim();
    const own = await asToken(cluster, token, [
      "get",
      "configmap",
      `${next.metadata.name}-binding`,
      "-n",
      NS,
    ]);
    expect(own.code, own.stderr).toBe(0);
    const other = await asToken(cluster, token, ["get", "configmap", `${name}-binding`, "-n", NS]);
    expect(other.stderr).toContain("forbidden");
    const state = await asToken(cluster, token, [
      "patch",
      "configmap",
      "quick-state",
      "-n",
      NS,
      "--type=merge",
      "-p",
      '{"data":{"phase":"Succeeded"}}',
    ]);
    expect(state.stderr).toContain("forbidden");
    const secrets = await asToken(cluster, token, ["get", "secrets", "-n", NS]);
    expect(secrets.stderr).toContain("forbidden");
  }, 300_000);

  it("replaces idle members when the Org's template changes, and leaves bound ones running", async () => {
    await poolOf(1, "a full pool");
    await applyManifest(
      cluster,
      taskManifest("long", NS, { org: ORG, prompt: "Stay", command: ["sleep", "600"] }),
    );
    await waitForTask(cluster, NS, "long", "to run", phaseIs("Running"), 60_000);
    const [bound] = await podsWith("agentyard.dev/task=long");
    if (!bound) throw new Error("no bound pod");
    expect(bound.metadata.labels?.[LABEL_WARM_MEMBER]).toBeDefined();
    const [before] = await poolOf(1, "the pool to refill after the bind", [bound.metadata.uid]);
    if (!before) throw new Error("no member");

    const org = await getOrg(cluster, ORG);
    const env = [...(org?.spec.agent.env ?? []), { name: "POOL_TEMPLATE", value: "2" }];
    const patch = { spec: { agent: { env } } };
    const r = await cluster.kubectl(["patch", "org", ORG, "--type=merge", "-p", JSON.stringify(patch)]);
    expect(r.code, r.stderr).toBe(0);

    const [after] = await poolOf(1, "the idle member to be replaced", [before.metadata.uid]);
    expect(after?.metadata.annotations?.[ANNOTATION_WARM_TEMPLATE]).not.toBe(
      before.metadata.annotations?.[ANNOTATION_WARM_TEMPLATE],
    );
    const [still] = await podsWith("agentyard.dev/task=long");
    expect(still?.metadata.uid).toBe(bound.metadata.uid);
    expect(still?.status?.phase).toBe("Running");

    // Suspended and resumed, it starts a pod of its own: a member's editor would have another password.
    const kept = await password("long-editor");
    const suspend = (on: boolean) =>
      cluster.kubectl([
        "patch",
        "agenttask",
        "long",
        "-n",
        NS,
        "--type=merge",
        "-p",
        JSON.stringify({ spec: { suspend: on } }),
      ]);
    expect((await suspend(true)).code).toBe(0);
    await waitForTask(cluster, NS, "long", "to be suspended", phaseIs("Suspended"), 60_000);
    await waitFor(
      "its member to go",
      async () => ((await podsWith("agentyard.dev/task=long")).length === 0 ? true : undefined),
      {
        timeoutMs: 60_000,
      },
    );
    expect((await suspend(false)).code).toBe(0);
    const resumed = await waitForTask(cluster, NS, "long", "to run again", phaseIs("Running"), 60_000);
    expect(resumed.status?.pod).toBe("long-1");
    expect(await password("long-editor")).toBe(kept);
    await cluster.kubectl(["delete", "agenttask", "long", "-n", NS, "--wait=false"]);
  }, 300_000);
});
