import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DevCluster } from "../devcluster/cluster.ts";
import { waitFor } from "../devcluster/http.ts";
import type { RunningOperator } from "../operator/main.ts";
import { orgManifest, taskManifest } from "../schema/fixtures.test-support.ts";
import type { AgentTask } from "../schema/index.ts";
import {
  applyManifest,
  clusterWithCrds,
  condition,
  getJson,
  orgWhenReadyReason,
  startTestOperator,
  waitForTask,
} from "./support/operator.ts";

/**
 * An agent's environment and argv that execve could never take (E2BIG) are refused, not turned into a
 * pod that fails every attempt: one entry by the CRD, the Org's env merged with the task's and every
 * $(NAME) expanded by the operator, which Stalls the task and applies nothing.
 */

let cluster: DevCluster;
let operator: RunningOperator;

beforeAll(async () => {
  cluster = await clusterWithCrds("exec-limits");
  operator = await startTestOperator(cluster);
});

afterAll(async () => {
  await operator?.stop();
  await cluster?.stop();
});

/** 32 variables of 32768 bytes: 1 MiB of env, within every per-entry limit, half of ARG_MAX. */
const mebibyteOfEnv = (prefix: string) =>
  Array.from({ length: 32 }, (_, i) => ({ name: `${prefix}_${i}`, value: "x".repeat(32_768) }));

/** `kubectl create`: apply would copy a MiB of env into the last-applied annotation, beyond its limit. */
async function create(obj: unknown): Promise<void> {
  const r = await cluster.kubectl(["create", "-f", "-"], { input: JSON.stringify(obj) });
  if (r.code !== 0) throw new Error(`kubectl create failed: ${r.stderr}`);
}

const isStalled = (t: AgentTask) =>
  t.status?.conditions?.some((c) => c.type === "Stalled" && c.status === "True") ?? false;

async function deploymentOf(namespace: string, task: string): Promise<unknown> {
  return getJson(cluster, ["deployment", task, "-n", namespace]);
}

describe("an env entry execve cannot take", () => {
  it("is refused by the API server, naming the field", async () => {
    // ABC= and 32767 astral characters: within the value's 32768 characters, 131073 bytes with the NUL.
    const r = await cluster.kubectl(["apply", "-f", "-"], {
      input: JSON.stringify(
        taskManifest("one-big-entry", "default", {
          org: "acme",
          prompt: "x",
          agent: { env: [{ name: "ABC", value: "😀".repeat(32_767) }] },
        }),
      ),
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("spec.agent.env[0].value: ");
    expect(r.stderr).toContain("NAME=value must be at most 131071 bytes in UTF-8");
  });
});

describe("an agent environment execve cannot take", () => {
  it("Stalls a task whose env merged with its Org's is too large, and applies nothing", async () => {
    await create(orgManifest("bulky", { agent: { image: "agents/test:1", env: mebibyteOfEnv("ORG") } }));
    await orgWhenReadyReason(cluster, "bulky", "Ready");
    await applyManifest(cluster, taskManifest("light", "org-bulky", { org: "bulky", prompt: "x" }));
    await create(
      taskManifest("heavy", "org-bulky", {
        org: "bulky",
        prompt: "x",
        agent: { env: mebibyteOfEnv("TASK") },
      }),
    );

    const heavy = await waitForTask(cluster, "org-bulky", "heavy", "to stall", isStalled);
    expect(condition(heavy, "Stalled")?.reason).toBe("EnvironmentTooLarge");
    expect(heavy.status?.message).toMatch(
      /^spec\.agent\.env: the agent's environment and argv would take \d+ bytes, more than the 1966080 that execve leaves them .* the task's spec\.agent\.env takes 1049110, the Org's spec\.agent\.env 1049078, .*; shrink the task's or the Org's env$/,
    );
    // The Org's MiB alone fits: its task without env of its own runs.
    await waitFor("the Deployment of light", () => deploymentOf("org-bulky", "light"));
    expect(await deploymentOf("org-bulky", "heavy")).toBeUndefined();
  });

  it("Stalls a task whose env entry expands past one entry's limit, and applies nothing", async () => {
    await applyManifest(cluster, orgManifest("small"));
    await orgWhenReadyReason(cluster, "small", "Ready");
    // 20 copies of a 10000-byte prompt: 200000 bytes in the pod, 380 as written.
    await applyManifest(
      cluster,
      taskManifest("copies", "org-small", {
        org: "small",
        prompt: "p".repeat(10_000),
        agent: { env: [{ name: "COPIES", value: "$(AGENTYARD_PROMPT)".repeat(20) }] },
      }),
    );
    const copies = await waitForTask(cluster, "org-small", "copies", "to stall", isStalled);
    expect(condition(copies, "Stalled")?.reason).toBe("EnvironmentTooLarge");
    expect(copies.status?.message).toBe(
      "the task's spec.agent.env: COPIES would be 200008 bytes with its NUL once its $(NAME) references are expanded, more than the 131072 Linux takes in one environment entry: shrink COPIES or the variables it refers to",
    );
    expect(await deploymentOf("org-small", "copies")).toBeUndefined();
  });
});
