import { describe, expect, it } from "vitest";
import { BINDING_ENV, BINDING_KEY } from "../../schema/contract/index.ts";
import { org, task } from "../../schema/fixtures.test-support.ts";
import type { KubeObject } from "./object.ts";
import { boundTo, type Rendered } from "./rendered.test-support.ts";
import { renderTask } from "./task.ts";
import { podOwner, renderWarmMember, warmTemplateHash } from "./warm-member.ts";

const pooled = (spec: Record<string, unknown> = {}) =>
  org({
    agent: { workload: "Pod", env: [{ name: "ORG_VAR", value: "org" }] },
    repo: { url: "https://git.example/acme/app.git" },
    git: { credentialsSecretRef: { name: "git-creds" } },
    warmPool: { size: 2 },
    ...spec,
  });
const opts = { remote: false };
type Container = { name: string; env: { name: string; value?: string }[]; volumeMounts: { name: string }[] };
const envOf = (c: Container | undefined) => Object.fromEntries((c?.env ?? []).map((e) => [e.name, e.value]));

describe("renderWarmMember", () => {
  const member = renderWarmMember(pooled(), "acme-warm-abc123", "pw", opts);
  const spec = (member.pod as KubeObject & Rendered).spec as unknown as {
    serviceAccountName: string;
    containers: Container[];
  };
  const byName = (n: string) => spec.containers.find((c) => c.name === n);

  it("makes its ServiceAccount and editor Secret before the pod, and the rest owned by the pod", () => {
    expect(member.before.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      "ServiceAccount/acme-warm-abc123",
      "Secret/acme-warm-abc123-editor",
    ]);
    const owner = podOwner({ metadata: { name: "acme-warm-abc123", uid: "u1" } });
    const after = member.after(owner);
    expect(after.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      "ConfigMap/acme-warm-abc123-binding",
      "Role/acme-warm-abc123",
      "RoleBinding/acme-warm-abc123",
    ]);
    for (const o of after) expect(o.metadata.ownerReferences?.map((r) => r.uid)).toEqual(["u1"]);
    expect(member.pod.metadata.ownerReferences?.map((r) => r.kind)).toEqual(["Org"]);
  });

  it("lets the member read its own binding and nothing else", () => {
    const role = member.after(podOwner({ metadata: { name: "m", uid: "u" } }))[1] as KubeObject & {
      rules: unknown[];
    };
    expect(role.rules).toEqual([
      {
        apiGroups: [""],
        resources: ["configmaps"],
        resourceNames: ["acme-warm-abc123-binding"],
        verbs: ["get", "list", "watch"],
      },
    ]);
  });

  it("starts its runtime with the Org's settings and no task: the binding brings the task", () => {
    expect(spec.serviceAccountName).toBe("acme-warm-abc123");
    const agent = envOf(byName("agent"));
    expect(agent[BINDING_ENV]).toBe("acme-warm-abc123-binding");
    expect(agent.ORG_VAR).toBe("org");
    expect(agent.AGENTYARD_TASK).toBeUndefined();
    expect(agent.AGENTYARD_PROMPT).toBeUndefined();
    const git = byName("git");
    expect(envOf(git)[BINDING_ENV]).toBe("acme-warm-abc123-binding");
    expect(git?.volumeMounts.map((m) => m.name)).toEqual(
      expect.arrayContaining(["git-credentials", "agent-token", "workspace"]),
    );
    expect(envOf(git).AGENTYARD_GIT_CREDENTIALS).toBe("/var/run/agentyard/git");
    expect(agent.AGENTYARD_STATE_DIR).toBe("/state");
    expect(byName("agent")?.volumeMounts.map((m) => m.name)).not.toContain("git-credentials");
    expect(byName("editor")?.volumeMounts.map((m) => m.name)).not.toContain("agent-token");
  });

  it("hashes the template, not the member: two members share it, a changed Org does not", () => {
    const hash = warmTemplateHash(pooled(), opts);
    expect(renderWarmMember(pooled(), "other", "pw2", opts).pod.metadata.annotations).toEqual({
      "agentyard.dev/warm-template": hash,
    });
    const changed = pooled({ agent: { workload: "Pod", env: [{ name: "ORG_VAR", value: "new" }] } });
    expect(warmTemplateHash(changed, opts)).not.toBe(hash);
    expect(warmTemplateHash(pooled(), { ...opts, agentImage: "agents/runtime:2" })).not.toBe(hash);
  });
});

describe("renderTask for a task bound to a member", () => {
  const t = task({
    org: "acme",
    prompt: "Fix $HOME",
    agent: { env: [{ name: "ORG_VAR", value: "task" }] },
  });
  const objects = renderTask(t, pooled(), boundTo("acme-warm-abc123"));

  it("renders no pod, and lets the member's ServiceAccount write the task's state", () => {
    expect(objects.some((o) => o.kind === "Pod")).toBe(false);
    const binding = objects.find((o) => o.kind === "RoleBinding") as KubeObject & {
      subjects: { name: string }[];
    };
    expect(binding.subjects.map((s) => s.name)).toEqual(["fix-bug-agent", "acme-warm-abc123"]);
  });

  it("binds the member with the variables a pod of the task would have had, unescaped", () => {
    const cm = objects.find((o) => o.metadata.name === "acme-warm-abc123-binding") as KubeObject & {
      data: Record<string, string>;
    };
    const agent = JSON.parse(cm.data[BINDING_KEY.agent] as string);
    expect(agent).toMatchObject({
      AGENTYARD_TASK: "fix-bug",
      AGENTYARD_PROMPT: "Fix $HOME",
      ORG_VAR: "task",
    });
    const git = JSON.parse(cm.data[BINDING_KEY.git] as string);
    expect(git).toMatchObject({ AGENTYARD_REPO_URL: "https://git.example/acme/app.git" });
    // The member's own folders stand: its pod spec names them, the binding does not.
    for (const name of [
      "AGENTYARD_GIT_CREDENTIALS",
      "AGENTYARD_WORKSPACE",
      "AGENTYARD_GIT_HOME",
      "AGENTYARD_PROMPT",
    ]) {
      expect(git[name]).toBeUndefined();
    }
    for (const name of [
      "AGENTYARD_STATE_DIR",
      "AGENTYARD_WORKSPACE",
      "AGENTYARD_EDITOR_URL",
      "AGENTYARD_GIT_HANDOFF",
    ]) {
      expect(agent[name]).toBeUndefined();
    }
  });

  it("withholds the handoff from a task without a repository", () => {
    const bare = renderTask(
      task({ org: "acme", prompt: "p" }),
      org({ agent: { workload: "Pod" }, warmPool: { size: 1 } }),
      boundTo("m"),
    );
    const cm = bare.find((o) => o.metadata.name === "m-binding") as KubeObject & {
      data: Record<string, string>;
    };
    expect(JSON.parse(cm.data[BINDING_KEY.agent] as string).AGENTYARD_GIT_HANDOFF).toBe("");
    expect(JSON.parse(cm.data[BINDING_KEY.git] as string)).toEqual({});
  });

  it("gives a task's own repository no credentials, as a pod of its own would", () => {
    const own = task({ org: "acme", prompt: "p", repo: { url: "https://elsewhere.example/x.git" } });
    const rendered = renderTask(own, pooled(), boundTo("m"));
    const cm = rendered.find((o) => o.metadata.name === "m-binding") as KubeObject & {
      data: Record<string, string>;
    };
    const git = JSON.parse(cm.data[BINDING_KEY.git] as string);
    expect(git.AGENTYARD_REPO_URL).toBe("https://elsewhere.example/x.git");
    expect(git.AGENTYARD_GIT_CREDENTIALS).toBe("");
  });
});
