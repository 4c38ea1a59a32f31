import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@agentyard/kube-runtime/log";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DevCluster } from "../devcluster/cluster.ts";
import { waitFor } from "../devcluster/http.ts";
import { LOCAL_LABEL, LOCAL_TAINT, type NodeAgent, startNodeAgent } from "../devcluster/node-agent/index.ts";
import { freePort } from "../devcluster/ports.ts";
import type { RunningOperator } from "../operator/main.ts";
import { STATE_KEYS, taskChildNames } from "../schema/contract/index.ts";
import { orgManifest, taskManifest } from "../schema/fixtures.test-support.ts";
import { AGENT_PRESET_NAMES, type AgentPresetName } from "../schema/presets.ts";
import {
  applyManifest,
  clusterWithCrds,
  getJson,
  orgWhenReadyReason,
  phaseIs,
  startTestOperator,
  waitForTask,
} from "./support/operator.ts";

/**
 * Each preset's CLI, installed from npm by the node agent as the image would have it, runs a task
 * whose model service is a closed loopback port (nothing leaves the machine): the task must end
 * Failed with the CLI's own error in its log tail, within a deadline, not hang.
 */

/** What each CLI says when no model service answers. */
const OWN_ERROR: Record<AgentPresetName, RegExp> = {
  "claude-code": /API Error: Connection refused/,
  codex: /Connection failed: error sending request/,
  "gemini-cli": /Error when talking to Gemini API/,
  opencode: /Cannot connect to API/,
};

/** Settings an Org sets so that its CLI gives up at once instead of retrying for minutes. */
const FAIL_FAST: Record<AgentPresetName, { name: string; value: string }[]> = {
  "claude-code": [{ name: "CLAUDE_CODE_MAX_RETRIES", value: "0" }],
  codex: [],
  "gemini-cli": [],
  opencode: [],
};

/** Every character a shell would act on; the CLI must receive it as written. */
const PROMPT = "--help $(touch pwned) `touch pwned` $HOME 'single' \"double\"\nsecond line";

let cluster: DevCluster;
let operator: RunningOperator;
let nodeAgent: NodeAgent;
let work: string;
let closedPort: number;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "agentyard-presets-"));
  // A port nothing listens on: freePort closed it again.
  closedPort = await freePort();
  cluster = await clusterWithCrds("presets");
  operator = await startTestOperator(cluster);
  nodeAgent = await startNodeAgent({
    kubeconfig: cluster.kubeconfigPath(),
    workDir: join(work, "node"),
    // The first run installs the CLIs: their progress lines show where the time goes.
    log: createLogger("info", { name: "node-agent" }),
  });
  for (const preset of AGENT_PRESET_NAMES) {
    await applyManifest(
      cluster,
      orgManifest(preset, {
        agent: {
          preset,
          baseUrl: `http://127.0.0.1:${closedPort}`,
          credentialsSecretRef: { name: "model-keys" },
          env: FAIL_FAST[preset],
          nodeSelector: { [LOCAL_LABEL]: "true" },
          tolerations: [{ key: LOCAL_TAINT.key, operator: "Exists", effect: LOCAL_TAINT.effect }],
        },
        editor: { enabled: false },
      }),
    );
  }
  for (const preset of AGENT_PRESET_NAMES) {
    await orgWhenReadyReason(cluster, preset, "Ready");
    await applyManifest(cluster, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "model-keys", namespace: `org-${preset}` },
      stringData: {
        ANTHROPIC_API_KEY: "sk-test",
        OPENAI_API_KEY: "sk-test",
        CODEX_API_KEY: "sk-test",
        GEMINI_API_KEY: "test",
      },
    });
  }
}, 300_000);

afterAll(async () => {
  await nodeAgent?.stop();
  await operator?.stop();
  await cluster?.stop();
  await rm(work, { recursive: true, force: true });
});

/** How long each task may take to fail: far past its CLI's retries, short of the test's deadline. */
const TIMEOUT: Record<AgentPresetName, string> = {
  "claude-code": "5m",
  codex: "5m",
  // Its three attempts take about 80 s on idle cores and nearly 5 minutes on busy ones.
  "gemini-cli": "10m",
  opencode: "5m",
};

/** The state ConfigMap's log tail, where the runtime reports it and the api reads it. */
async function logTail(preset: AgentPresetName): Promise<string> {
  const state = await getJson<{ data?: Record<string, string> }>(cluster, [
    "configmap",
    "-n",
    `org-${preset}`,
    taskChildNames("try").stateConfigMap,
  ]);
  return state?.data?.[STATE_KEYS.logTail] ?? "";
}

describe.each(AGENT_PRESET_NAMES)("the %s preset, on the node agent, with no model service", (preset) => {
  it("ends Failed with the CLI's own words in the task's log tail", {
    timeout: 900_000,
  }, async () => {
    await applyManifest(
      cluster,
      taskManifest("try", `org-${preset}`, { org: preset, prompt: PROMPT, timeout: TIMEOUT[preset] }),
    );
    const done = await waitForTask(
      cluster,
      `org-${preset}`,
      "try",
      "to finish",
      phaseIs("Succeeded", "Failed", "TimedOut"),
      780_000,
    );
    const status = done.status;
    const tail = await waitFor(
      "the runtime's last report, with the log tail",
      async () => {
        const text = await logTail(preset);
        return OWN_ERROR[preset].test(text) ? text : undefined;
      },
      { timeoutMs: 60_000 },
    ).catch(async (err: Error) => `${err.message}\n${await logTail(preset)}`);
    expect(status?.phase, `${status?.message}\n${tail}`).toBe("Failed");
    expect(status?.message).toMatch(/the command exited with code [1-9]/);
    expect(tail).toMatch(OWN_ERROR[preset]);
  });
});
