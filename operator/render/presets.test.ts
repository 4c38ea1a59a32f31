import { describe, expect, it } from "vitest";
import { org, task } from "../../schema/fixtures.test-support.ts";
import {
  AGENT_HOME,
  AGENT_PRESET_NAMES,
  AGENT_PRESETS,
  type AgentPreset,
  presetHomeFiles,
} from "../../schema/presets.ts";
import { agentExec } from "./agent-exec.ts";
import { presetImage } from "./images.ts";
import type { KubeObject } from "./object.ts";
import type { Rendered } from "./rendered.test-support.ts";
import { renderTask } from "./task.ts";

const opts = { attempt: 1, running: true, editorPassword: "s3cret", remote: false };

function agentPod(objects: KubeObject[]) {
  const deployment = objects.find((o) => o.kind === "Deployment") as KubeObject & Rendered;
  return deployment.spec.template.spec;
}

const envOf = (container: { env?: { name: string; value?: string }[] }, name: string) =>
  container.env?.find((e) => e.name === name);

describe.each(AGENT_PRESET_NAMES)("the %s preset", (preset) => {
  const spec = AGENT_PRESETS[preset];
  const presetOrg = org({
    agent: { preset, credentialsSecretRef: { name: "model-keys" }, baseUrl: "http://gateway.internal:4000" },
  });
  const pod = agentPod(renderTask(task(), presetOrg, opts));
  const agent = pod.containers[0];

  it("runs its CLI's non-interactive command line, the prompt appended by the runtime as one argument", () => {
    expect(JSON.parse(envOf(agent, "AGENTYARD_COMMAND")?.value ?? "")).toEqual(spec.command);
    // After `--`, or an option's value: either way a prompt that starts with `-` is no option of the CLI's.
    expect(spec.command.at(-1) === "--" || /^--[a-z-]+=\{prompt\}$/.test(spec.promptArgument)).toBe(true);
    expect(envOf(agent, "AGENTYARD_PROMPT_ARGUMENT")?.value).toBe(spec.promptArgument);
    const homeFiles = envOf(agent, "AGENTYARD_HOME_FILES")?.value;
    expect(homeFiles === undefined ? {} : JSON.parse(homeFiles.replaceAll("$$", "$"))).toEqual(
      presetHomeFiles(preset, "http://gateway.internal:4000"),
    );
    expect(agent.args).toBeUndefined();
  });

  it("runs in the preset's variant of the operator's agent image", () => {
    expect(agent.image).toBe(`agentyard/agent-${preset}:0.1.0`);
    const other = agentPod(
      renderTask(task(), presetOrg, { ...opts, agentImage: "registry.example:5000/ay/agent:2" }),
    );
    expect(other.containers[0].image).toBe(`registry.example:5000/ay/agent-${preset}:2`);
  });

  it("gets a writable HOME, the gateway's URL and the keys it documents from the Org's Secret", () => {
    expect(envOf(agent, "HOME")?.value).toBe(AGENT_HOME);
    expect(agent.volumeMounts).toContainEqual({ name: "agent-home", mountPath: AGENT_HOME });
    expect(pod.volumes).toContainEqual({ name: "agent-home", emptyDir: {} });
    const baseUrl: AgentPreset["baseUrl"] = spec.baseUrl;
    if ("variable" in baseUrl) {
      expect(envOf(agent, baseUrl.variable)?.value).toBe("http://gateway.internal:4000");
    } else {
      const files = JSON.parse((envOf(agent, "AGENTYARD_HOME_FILES")?.value ?? "{}").replaceAll("$$", "$"));
      expect(files[baseUrl.tomlFile]).toMatch(
        new RegExp(`^${baseUrl.key} = "http://gateway.internal:4000"\n`),
      );
    }
    for (const [name, value] of Object.entries(spec.env)) expect(envOf(agent, name)?.value).toBe(value);
    for (const key of spec.credentials) {
      expect(envOf(agent, key)).toEqual({
        name: key,
        valueFrom: { secretKeyRef: { name: "model-keys", key, optional: true } },
      });
    }
    // The keys reach the agent container only.
    for (const other of pod.containers.slice(1)) {
      for (const key of spec.credentials) expect(envOf(other, key), other.name).toBeUndefined();
    }
  });
});

describe("a preset Org", () => {
  it("lets the Org's and the task's env override the preset's variables, once each", () => {
    const presetOrg = org({
      agent: {
        preset: "claude-code",
        credentialsSecretRef: { name: "model-keys" },
        env: [{ name: "ANTHROPIC_API_KEY", value: "from-env" }],
      },
    });
    const own = task({ agent: { env: [{ name: "HOME", value: "/tmp" }] } });
    const agent = agentPod(renderTask(own, presetOrg, opts)).containers[0];
    const names = agent.env?.map((e: { name: string }) => e.name) ?? [];
    expect(new Set(names).size).toBe(names.length);
    expect(envOf(agent, "ANTHROPIC_API_KEY")).toEqual({ name: "ANTHROPIC_API_KEY", value: "from-env" });
    expect(envOf(agent, "HOME")).toEqual({ name: "HOME", value: "/tmp" });
  });

  it("runs a task's own command instead of the preset's command line, without the prompt appended", () => {
    const presetOrg = org({ agent: { preset: "codex" } });
    const agent = agentPod(renderTask(task({ command: ["make", "test"] }), presetOrg, opts)).containers[0];
    expect(envOf(agent, "AGENTYARD_COMMAND")?.value).toBe('["make","test"]');
    expect(envOf(agent, "AGENTYARD_PROMPT_ARGUMENT")).toBeUndefined();
    expect(agent.image).toBe("agentyard/agent-codex:0.1.0");
  });

  it("counts the prompt twice against ARG_MAX: in the environment and as the CLI's argument", () => {
    const prompt = "x".repeat(30_000);
    const withPreset = agentExec(task({ prompt }), org({ agent: { preset: "gemini-cli" } }), 1);
    const withCommand = agentExec(task({ prompt }), org({ agent: { command: ["gemini", "--"] } }), 1);
    expect(withPreset.argv - withCommand.argv).toBeGreaterThan(30_000);
  });

  it("renders none of it without a preset", () => {
    const agent = agentPod(renderTask(task(), org({ agent: { command: ["agent"] } }), opts)).containers[0];
    expect(envOf(agent, "HOME")).toBeUndefined();
    expect(envOf(agent, "AGENTYARD_PROMPT_ARGUMENT")).toBeUndefined();
    expect(agent.volumeMounts.map((m: { name: string }) => m.name)).not.toContain("agent-home");
  });
});

describe("presetImage", () => {
  it.each([
    ["agentyard/agent:0.1.0", "agentyard/agent-codex:0.1.0"],
    ["agentyard/agent", "agentyard/agent-codex"],
    ["registry:5000/agent@sha256:abc", "registry:5000/agent-codex@sha256:abc"],
  ])("%s → %s", (image, variant) => {
    expect(presetImage(image, "codex")).toBe(variant);
  });
});
