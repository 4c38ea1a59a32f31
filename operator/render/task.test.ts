import { describe, expect, it } from "vitest";
import { expand } from "../../devcluster/node-agent/container-spec.ts";
import { TAILSCALE_VERSION } from "../../schema/contract/index.ts";
import { org, task } from "../../schema/fixtures.test-support.ts";
import { DEFAULT_EDITOR_IMAGE } from "./images.ts";
import type { KubeObject } from "./object.ts";
import type { Rendered } from "./rendered.test-support.ts";
import { effectiveRepo, mergeEnv, renderTask } from "./task.ts";

const opts = { attempt: 1, running: true, editorPassword: "s3cret", remote: false };

function find(objects: KubeObject[], kind: string): KubeObject & Rendered {
  const found = objects.find((o) => o.kind === kind);
  if (!found) throw new Error(`no ${kind} rendered`);
  return found as KubeObject & Rendered;
}

describe("renderTask", () => {
  const objects = renderTask(task({ repo: { url: "https://git.example/acme/app.git" } }), org(), opts);
  const deployment = find(objects, "Deployment");
  const pod = deployment.spec.template.spec;
  const [agent, editor] = pod.containers;

  it("renders the children in apply order, all in the Org's namespace and owned by the task", () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      "ConfigMap/fix-bug-state",
      "ServiceAccount/fix-bug-agent",
      "Role/fix-bug-agent",
      "RoleBinding/fix-bug-agent",
      "Secret/fix-bug-editor",
      "Deployment/fix-bug",
      "Service/fix-bug",
    ]);
    for (const o of objects) {
      expect(o.metadata.namespace).toBe("org-acme");
      expect(o.metadata.labels).toMatchObject({
        "agentyard.dev/org": "acme",
        "agentyard.dev/task": "fix-bug",
      });
      expect(o.metadata.ownerReferences).toEqual([
        {
          apiVersion: "agentyard.dev/v1alpha1",
          kind: "AgentTask",
          name: "fix-bug",
          uid: "task-uid",
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
    }
  });

  it("labels children in a remote cluster instead of owning them", () => {
    const remote = renderTask(task(), org(), { ...opts, remote: true });
    for (const o of remote) {
      expect(o.metadata.ownerReferences).toBeUndefined();
      expect(o.metadata.labels?.["agentyard.dev/task-uid"]).toBe("task-uid");
    }
  });

  it("leaves the state ConfigMap's data to the agent", () => {
    const cm = find(objects, "ConfigMap");
    expect(cm.data).toBeUndefined();
  });

  it("lets the agent update only its own state ConfigMap", () => {
    expect(find(objects, "Role").rules).toEqual([
      {
        apiGroups: [""],
        resources: ["configmaps"],
        resourceNames: ["fix-bug-state"],
        verbs: ["get", "patch", "update"],
      },
    ]);
    expect(find(objects, "RoleBinding").subjects).toEqual([
      { kind: "ServiceAccount", name: "fix-bug-agent", namespace: "org-acme" },
    ]);
    expect(find(objects, "ServiceAccount").automountServiceAccountToken).toBe(false);
  });

  it("keeps the editor password in a Secret, referenced and never inlined in the pod", () => {
    expect(find(objects, "Secret").data).toEqual({ password: Buffer.from("s3cret").toString("base64") });
    expect(JSON.stringify(deployment)).not.toContain("s3cret");
    expect(editor.env).toContainEqual({
      name: "PASSWORD",
      valueFrom: { secretKeyRef: { name: "fix-bug-editor", key: "password" } },
    });
  });

  it("runs one pod of the agent and code-server on 8443, replaced on a new attempt", () => {
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy).toEqual({ type: "Recreate" });
    expect(deployment.spec.selector.matchLabels).toEqual({
      "agentyard.dev/task": "fix-bug",
      "app.kubernetes.io/component": "agent",
    });
    expect(deployment.spec.template.metadata.labels).toMatchObject(deployment.spec.selector.matchLabels);
    expect(deployment.spec.template.metadata.annotations).toEqual({ "agentyard.dev/attempt": "1" });
    expect(agent.image).toBe("agents/acme:1");
    expect(editor.image).toBe(DEFAULT_EDITOR_IMAGE);
    expect(editor.ports).toEqual([{ name: "editor", containerPort: 8443, protocol: "TCP" }]);
    expect(editor.args).toEqual(
      expect.arrayContaining(["--bind-addr", "0.0.0.0:8443", "--auth", "password", "/workspace"]),
    );
    expect(editor.readinessProbe.httpGet).toEqual({ path: "/healthz", port: "editor" });
    expect(agent.readinessProbe.exec.command).toEqual(["test", "-f", "/state/started"]);
  });

  it("scales to zero when the task should not run", () => {
    const stopped = find(renderTask(task(), org(), { ...opts, running: false }), "Deployment");
    expect(stopped.spec.replicas).toBe(0);
  });

  it("shares /workspace between the containers and gives /state to the agent", () => {
    const mounts = (c: { volumeMounts: { name: string; mountPath: string }[] }) =>
      Object.fromEntries(c.volumeMounts.map((m) => [m.mountPath, m.name]));
    expect(mounts(agent)).toMatchObject({ "/workspace": "workspace", "/state": "state", "/tmp": "tmp" });
    expect(mounts(editor)).toMatchObject({ "/workspace": "workspace", "/home/coder": "editor-home" });
    expect(mounts(editor)["/state"]).toBeUndefined();
  });

  it("meets PodSecurity restricted in every container", () => {
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    for (const c of pod.containers) {
      expect(c.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        runAsNonRoot: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
      });
    }
  });

  it("gives only the agent a short-lived API token", () => {
    expect(agent.volumeMounts).toContainEqual({
      name: "agent-token",
      mountPath: "/var/run/secrets/kubernetes.io/serviceaccount",
      readOnly: true,
    });
    expect(editor.volumeMounts.map((m: { name: string }) => m.name)).not.toContain("agent-token");
    const token = pod.volumes.find((v: { name: string }) => v.name === "agent-token");
    expect(token.projected.sources[0]).toEqual({
      serviceAccountToken: { path: "token", expirationSeconds: 3600 },
    });
    expect(pod.serviceAccountName).toBe("fix-bug-agent");
  });

  it("passes the task to the agent in its environment", () => {
    const env = Object.fromEntries(agent.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env).toMatchObject({
      AGENTYARD_TASK: "fix-bug",
      AGENTYARD_ORG: "acme",
      AGENTYARD_NAMESPACE: "org-acme",
      AGENTYARD_PROMPT: "Fix the bug",
      AGENTYARD_REPO_URL: "https://git.example/acme/app.git",
      AGENTYARD_REPO_BRANCH: "main",
      AGENTYARD_STATE_CONFIGMAP: "fix-bug-state",
      AGENTYARD_ATTEMPT: "1",
    });
    expect(env.AGENTYARD_COMMAND).toBeUndefined();
    expect(env.AGENTYARD_TIMEOUT).toBeUndefined();
  });

  it("hands the agent its prompt and command as written, though the kubelet expands $(NAME) and $$", () => {
    const prompt = "Print $$ and $(AGENTYARD_TASK), then $$$(HOME)";
    const command = ["sh", "-c", 'kill -0 $$ && echo "$(AGENTYARD_ORG)" $'];
    const t = task({ prompt, command, agent: { env: [{ name: "OWN", value: "$(AGENTYARD_TASK)" }] } });
    const rendered = find(renderTask(t, org(), opts), "Deployment").spec.template.spec.containers[0];
    // What the container sees: each value expanded with the variables before it (the node agent's rules).
    const seen: Record<string, string> = {};
    for (const e of rendered.env as { name: string; value: string }[]) seen[e.name] = expand(e.value, seen);
    expect(seen.AGENTYARD_PROMPT).toBe(prompt);
    expect(JSON.parse(seen.AGENTYARD_COMMAND as string)).toEqual(command);
    // An Org's or a task's own env keeps Kubernetes' $(NAME) references.
    expect(seen.OWN).toBe("fix-bug");
  });

  it("takes the command, image, resources and env from the task over the Org's", () => {
    const o = org({
      agent: {
        image: "agents/acme:1",
        allowImageOverride: true,
        command: ["claude", "-p"],
        env: [
          { name: "A", value: "org" },
          { name: "B", value: "org" },
        ],
        resources: { requests: { cpu: "1" } },
      },
    });
    const t = task({
      command: ["aider"],
      agent: {
        image: "agents/special:2",
        env: [{ name: "B", value: "task" }],
        resources: { limits: { memory: "8Gi" } },
      },
    });
    const a = find(renderTask(t, o, opts), "Deployment").spec.template.spec.containers[0];
    const env = Object.fromEntries(a.env.map((e: { name: string; value: string }) => [e.name, e.value]));
    expect(env).toMatchObject({ A: "org", B: "task", AGENTYARD_COMMAND: '["aider"]' });
    expect(a.image).toBe("agents/special:2");
    expect(a.imagePullPolicy).toBe("Always");
    expect(a.resources).toEqual({ limits: { memory: "8Gi" } });
    const fromOrg = find(renderTask(task(), o, opts), "Deployment").spec.template.spec.containers[0];
    expect(fromOrg.resources).toEqual({ requests: { cpu: "1" } });
    expect(fromOrg.env).toContainEqual({ name: "AGENTYARD_COMMAND", value: '["claude","-p"]' });
  });

  it("never lets user env set the variables the runtime relies on, even those it leaves unset", () => {
    // The schemas refuse these names; an object stored before the rule existed may still hold them.
    const o = org({ agent: { image: "a:1" } });
    o.spec.agent.env = [{ name: "AGENTYARD_PROMPT", value: "evil" }];
    const t = task();
    t.spec.agent = {
      env: [
        { name: "AGENTYARD_COMMAND", value: '["sh","-c","evil"]' },
        { name: "AGENTYARD_SERVICEACCOUNT_DIR", value: "/tmp" },
        { name: "KEPT", value: "yes" },
      ],
    };
    const a = find(renderTask(t, o, opts), "Deployment").spec.template.spec.containers[0];
    expect(a.env.filter((e: { name: string }) => e.name === "AGENTYARD_PROMPT")).toEqual([
      { name: "AGENTYARD_PROMPT", value: "Fix the bug" },
    ]);
    const names = a.env.map((e: { name: string }) => e.name);
    expect(names).not.toContain("AGENTYARD_COMMAND");
    expect(names).not.toContain("AGENTYARD_SERVICEACCOUNT_DIR");
    expect(names).toContain("KEPT");
  });

  it("never uses a task's image unless its Org allows image overrides", () => {
    const t = task({ agent: { image: "victim/private:1" } });
    const a = find(renderTask(t, org(), opts), "Deployment").spec.template.spec.containers[0];
    expect(a.image).toBe("agents/acme:1");
    expect(a.imagePullPolicy).toBeUndefined();
  });

  describe("the git container", () => {
    const withSecret = org({
      repo: { url: "https://git.example/acme/site.git" },
      git: { credentialsSecretRef: { name: "acme-git" } },
      agent: { image: "acme/agent:1", allowImageOverride: true },
    });
    const own = task({
      repo: { url: "https://git.example/acme/app.git" },
      agent: { image: "evil/agent:latest" },
    });
    const spec = find(renderTask(own, withSecret, { ...opts, agentImage: "agentyard/agent:9" }), "Deployment")
      .spec.template.spec;
    const byName = (name: string) => spec.containers.find((c: { name: string }) => c.name === name);
    const env = (c: { env: { name: string; value?: string }[] }) =>
      Object.fromEntries(c.env.map((e) => [e.name, e.value]));
    const mountNames = (c: { volumeMounts: { name: string }[] }) => c.volumeMounts.map((m) => m.name);

    it("alone mounts the Org's git credentials, read-only", () => {
      expect(spec.volumes).toContainEqual({
        name: "git-credentials",
        secret: { secretName: "acme-git", defaultMode: 0o440 },
      });
      expect(byName("git").volumeMounts).toContainEqual({
        name: "git-credentials",
        mountPath: "/var/run/agentyard/git",
        readOnly: true,
      });
      for (const c of spec.containers.filter((c: { name: string }) => c.name !== "git")) {
        expect(mountNames(c), c.name).not.toContain("git-credentials");
        expect(mountNames(c), c.name).not.toContain("git-home");
        expect(Object.keys(env(c)), c.name).not.toContain("AGENTYARD_GIT_CREDENTIALS");
      }
    });

    it("runs the operator's own image, whatever image the Org or the task chose for the agent", () => {
      expect(byName("agent").image).toBe("evil/agent:latest");
      expect(byName("git").image).toBe("agentyard/agent:9");
      expect(byName("git").args).toEqual(["git"]);
    });

    it("shares only the workspace and the handoff folder with the agent, and nothing with the editor but the workspace", () => {
      expect(mountNames(byName("git")).sort()).toEqual(
        ["git-credentials", "git-handoff", "git-home", "git-tmp", "workspace"].sort(),
      );
      expect(mountNames(byName("agent"))).toContain("git-handoff");
      expect(mountNames(byName("editor"))).not.toContain("git-handoff");
      expect(env(byName("agent")).AGENTYARD_GIT_HANDOFF).toBe("/var/run/agentyard/handoff");
      expect(env(byName("git")).AGENTYARD_GIT_HANDOFF).toBe("/var/run/agentyard/handoff");
    });

    it("gets no API token, no prompt and no command: it runs none of the task's code", () => {
      expect(mountNames(byName("git"))).not.toContain("agent-token");
      expect(Object.keys(env(byName("git")))).not.toContain("AGENTYARD_PROMPT");
      expect(Object.keys(env(byName("git")))).not.toContain("AGENTYARD_COMMAND");
    });

    it("sends the Org's credentials only to the host of the Org's repository or forge, never to one a task chose", () => {
      const secretOf = (t: ReturnType<typeof task>, o: ReturnType<typeof org>) => {
        const pod = find(renderTask(t, o, opts), "Deployment").spec.template.spec;
        const git = pod.containers.find((c: { name: string }) => c.name === "git");
        return {
          volume: pod.volumes.some((v: { name: string }) => v.name === "git-credentials"),
          mount: mountNames(git).includes("git-credentials"),
          env: env(git).AGENTYARD_GIT_CREDENTIALS,
          pullRequest: env(git).AGENTYARD_PULL_REQUEST !== undefined,
        };
      };
      const given = { volume: true, mount: true, env: "/var/run/agentyard/git", pullRequest: true };
      const withheld = { volume: false, mount: false, env: undefined, pullRequest: false };
      expect(secretOf(task({ repo: { branch: "dev" } }), withSecret)).toEqual(given);
      expect(secretOf(task({ repo: { url: "https://GIT.example/acme/other.git" } }), withSecret)).toEqual(
        given,
      );
      for (const url of [
        "https://evil.example/acme/app.git",
        "http://git.example/acme/app.git",
        "https://git.example:8443/acme/app.git",
        "https://git.example.evil.example/acme/app.git",
        "ssh://git@git.example/acme/app.git",
        "git@git.example:acme/app.git",
      ]) {
        expect(secretOf(task({ repo: { url } }), withSecret), url).toEqual(withheld);
      }
      const viaForge = org({
        git: {
          credentialsSecretRef: { name: "acme-git" },
          forge: { type: "gitlab", apiUrl: "https://gitlab.acme.example/api/v4" },
        },
      });
      expect(secretOf(task({ repo: { url: "https://gitlab.acme.example/acme/app.git" } }), viaForge)).toEqual(
        given,
      );
      expect(secretOf(task({ repo: { url: "https://git.example/acme/app.git" } }), viaForge)).toEqual(
        withheld,
      );
      const sshOrg = org({
        repo: { url: "git@git.example:acme/site.git" },
        git: { credentialsSecretRef: { name: "acme-git" } },
      });
      expect(secretOf(task({ repo: { url: "ssh://git@git.example:22/acme/app.git" } }), sshOrg).mount).toBe(
        true,
      );
      expect(secretOf(task({ repo: { url: "git@evil.example:acme/app.git" } }), sshOrg).mount).toBe(false);
    });

    it("is told the pull request to open: the Org's settings under the task's, and its forge", () => {
      const withForge = org({
        git: {
          credentialsSecretRef: { name: "acme-git" },
          forge: { type: "gitea", apiUrl: "https://git.acme.example/api/v1" },
          pullRequests: { draft: true, labels: ["agent"], reviewers: ["alice"] },
        },
      });
      const told = (t: ReturnType<typeof task>, o: ReturnType<typeof org>) => {
        const pod = find(renderTask(t, o, opts), "Deployment").spec.template.spec;
        const git = pod.containers.find((c: { name: string }) => c.name === "git");
        const agent = pod.containers.find((c: { name: string }) => c.name === "agent");
        expect(Object.keys(env(agent))).not.toContain("AGENTYARD_PULL_REQUEST");
        const raw = env(git).AGENTYARD_PULL_REQUEST;
        return raw === undefined ? undefined : JSON.parse(raw.replaceAll("$$", "$"));
      };
      const repo = { url: "https://git.acme.example/acme/app.git" };
      expect(told(task({ repo }), withForge)).toEqual({
        forge: { type: "gitea", apiUrl: "https://git.acme.example/api/v1" },
        draft: true,
        labels: ["agent"],
        reviewers: ["alice"],
      });
      expect(told(task({ repo, pullRequest: { draft: false, labels: [] } }), withForge)).toEqual({
        forge: { type: "gitea", apiUrl: "https://git.acme.example/api/v1" },
        draft: false,
        labels: [],
        reviewers: ["alice"],
      });
      expect(told(own, withSecret)).toEqual({ draft: false, labels: [], reviewers: [] });
      const off = org({
        git: { credentialsSecretRef: { name: "acme-git" }, pullRequests: { enabled: false } },
      });
      expect(told(task({ repo }), off)).toBeUndefined();
    });

    it("is not there for a task without a repository", () => {
      const none = find(renderTask(task(), org(), opts), "Deployment").spec.template.spec;
      expect(none.containers.map((c: { name: string }) => c.name)).toEqual(["agent", "editor"]);
      expect(none.volumes.map((v: { name: string }) => v.name)).not.toContain("git-handoff");
    });
  });

  it("places agents where the Org says", () => {
    const o = org({
      agent: {
        nodeSelector: { pool: "agents" },
        tolerations: [{ key: "agents", operator: "Exists", effect: "NoSchedule" }],
      },
    });
    const spec = find(renderTask(task(), o, opts), "Deployment").spec.template.spec;
    expect(spec.nodeSelector).toEqual({ pool: "agents" });
    expect(spec.tolerations).toEqual([{ key: "agents", operator: "Exists", effect: "NoSchedule" }]);
    expect(pod.nodeSelector).toBeUndefined();
  });

  it("runs agents with the Org's RuntimeClass, and with the cluster's default without one", () => {
    const o = org({ agent: { runtimeClassName: "gvisor" } });
    expect(find(renderTask(task(), o, opts), "Deployment").spec.template.spec.runtimeClassName).toBe(
      "gvisor",
    );
    expect(pod.runtimeClassName).toBeUndefined();
  });

  it("renders a bare Pod per attempt instead of the Deployment for an Org with workload Pod", () => {
    const o = org({ agent: { workload: "Pod" } });
    const rendered = renderTask(task(), o, { ...opts, attempt: 2 });
    expect(rendered.map((x) => `${x.kind}/${x.metadata.name}`)).toEqual([
      "ConfigMap/fix-bug-state",
      "ServiceAccount/fix-bug-agent",
      "Role/fix-bug-agent",
      "RoleBinding/fix-bug-agent",
      "Secret/fix-bug-editor",
      "Pod/fix-bug-2",
      "Service/fix-bug",
    ]);
    const bare = find(rendered, "Pod");
    const asDeployment = org({ agent: { workload: "Deployment" } });
    const template = find(renderTask(task(), asDeployment, { ...opts, attempt: 2 }), "Deployment").spec
      .template;
    // The Deployment's template, as a pod: the same labels (the Service selects them), attempt and spec.
    expect(bare.metadata.labels).toEqual(template.metadata.labels);
    expect(bare.metadata.annotations).toEqual(template.metadata.annotations);
    expect(bare.spec).toEqual({ ...template.spec, restartPolicy: "Always" });
    expect(bare.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: "AgentTask", controller: true }),
    ]);
    expect(
      renderTask(task(), o, { ...opts, remote: true }).find((x) => x.kind === "Pod")?.metadata
        .ownerReferences,
    ).toBeUndefined();
  });

  it("renders no Pod for a stopped task of an Org with workload Pod", () => {
    const rendered = renderTask(task(), org({ agent: { workload: "Pod" } }), { ...opts, running: false });
    expect(rendered.some((x) => x.kind === "Pod" || x.kind === "Deployment")).toBe(false);
  });

  it("takes the operator's agent image when neither task nor Org names one", () => {
    const spec = find(renderTask(task(), org({ agent: {} }), { ...opts, agentImage: "mine:2" }), "Deployment")
      .spec.template.spec;
    expect(spec.containers[0].image).toBe("mine:2");
  });

  it("runs without an editor, Secret or Service when the Org turns the editor off", () => {
    const objs = renderTask(task(), org({ editor: { enabled: false } }), opts);
    expect(objs.map((o) => o.kind)).not.toContain("Service");
    expect(objs.map((o) => o.kind)).not.toContain("Secret");
    expect(
      find(objs, "Deployment").spec.template.spec.containers.map((c: { name: string }) => c.name),
    ).toEqual(["agent"]);
  });
});

describe("renderTask in mesh mode sidecar", () => {
  const mesh = {
    provider: "tailscale",
    mode: "sidecar",
    loginServer: "https://headscale.example.com",
    authKeySecretRef: { name: "tailnet-key", namespace: "agentyard-secrets" },
    tailnetDomain: "tailnet.example.com",
    tags: ["tag:agents", "tag:acme"],
  };
  const objects = renderTask(task(), org({ mesh }), opts);
  const pod = find(objects, "Deployment").spec.template.spec;
  const sidecar = pod.containers.find((c: { name: string }) => c.name === "tailscale");
  const env = Object.fromEntries(
    sidecar.env.map((e: { name: string; value?: string; valueFrom?: unknown }) => [
      e.name,
      e.value ?? e.valueFrom,
    ]),
  );

  it("adds the pinned tailscale image, joining with the Org's key, login server, hostname and tags", () => {
    expect(sidecar.image).toBe(`tailscale/tailscale:${TAILSCALE_VERSION}`);
    expect(env.TS_AUTHKEY).toEqual({ secretKeyRef: { name: "tailnet-key", key: "authkey" } });
    expect(env.TS_HOSTNAME).toMatch(/^acme-fix-bug-[0-9a-f]+$/);
    expect(env.TS_EXTRA_ARGS).toBe(
      "--login-server=https://headscale.example.com --advertise-tags=tag:agents,tag:acme",
    );
    expect(env.TS_USERSPACE).toBe("true");
    expect(env.TS_KUBE_SECRET).toBe("");
    expect(sidecar.readinessProbe.httpGet).toEqual({ path: "/healthz", port: "tailnet-health" });
  });

  it("meets PodSecurity restricted: userspace networking, no capability, no root, no TUN device", () => {
    expect(sidecar.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(JSON.stringify(pod.volumes)).not.toContain("hostPath");
  });

  it("serves the editor's port from the editor Secret, mounting that key alone", () => {
    const secret = find(objects, "Secret");
    expect(JSON.parse(Buffer.from(secret.data["serve.json"], "base64").toString())).toEqual({
      TCP: { "8443": { TCPForward: "127.0.0.1:8443" } },
    });
    const serve = pod.volumes.find((v: { name: string }) => v.name === "tailscale-serve");
    expect(serve.secret).toEqual({
      secretName: "fix-bug-editor",
      items: [{ key: "serve.json", path: "serve.json" }],
    });
    const editor = pod.containers.find((c: { name: string }) => c.name === "editor");
    expect(JSON.stringify(editor.volumeMounts)).not.toContain("tailscale");
  });

  it("keeps the Service cluster-internal, with no Tailscale operator annotations", () => {
    const service = find(objects, "Service");
    expect(service.metadata.annotations).toBeUndefined();
    expect(service.spec.type).toBe("ClusterIP");
  });

  it("takes the operator's tailscale image, and adds no sidecar without an editor", () => {
    const own = find(
      renderTask(task(), org({ mesh }), { ...opts, tailscaleImage: "mirror/tailscale:1" }),
      "Deployment",
    );
    expect(own.spec.template.spec.containers.at(-1).image).toBe("mirror/tailscale:1");
    const none = find(renderTask(task(), org({ mesh, editor: { enabled: false } }), opts), "Deployment");
    expect(none.spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual(["agent"]);
  });
});

describe("effectiveRepo", () => {
  const withRepo = org({ repo: { url: "https://git.example/acme/app.git", branch: "develop" } });
  it("defaults to the Org's repository and branch", () => {
    expect(effectiveRepo(task(), withRepo)).toEqual({
      url: "https://git.example/acme/app.git",
      branch: "develop",
    });
  });
  it("takes a branch of the Org's repository", () => {
    expect(effectiveRepo(task({ repo: { branch: "fix" } }), withRepo)?.branch).toBe("fix");
  });
  it("starts another repository from main unless told", () => {
    expect(effectiveRepo(task({ repo: { url: "https://git.example/other.git" } }), withRepo)).toEqual({
      url: "https://git.example/other.git",
      branch: "main",
    });
  });
  it("is undefined when neither names one", () => {
    expect(effectiveRepo(task(), org())).toBeUndefined();
  });
});

describe("mergeEnv", () => {
  it("keeps order and replaces by name", () => {
    expect(
      mergeEnv(
        [
          { name: "A", value: "1" },
          { name: "B", value: "2" },
        ],
        [
          { name: "B", value: "3" },
          { name: "C", value: "4" },
        ],
      ),
    ).toEqual([
      { name: "A", value: "1" },
      { name: "B", value: "3" },
      { name: "C", value: "4" },
    ]);
  });
});

describe("renderTask with spec.workspace.storage", () => {
  const storage = (more: Record<string, unknown> = {}) =>
    org({ workspace: { storage: { size: "5Gi", ...more } } });

  it("gives /workspace a claim of the task's own, owned by the task", () => {
    const objects = renderTask(task(), storage({ storageClassName: "fast" }), opts);
    const claim = find(objects, "PersistentVolumeClaim");
    expect(claim.metadata).toMatchObject({
      name: "fix-bug-workspace",
      annotations: { "agentyard.dev/reclaim-policy": "Delete" },
      labels: { "app.kubernetes.io/component": "workspace", "agentyard.dev/task": "fix-bug" },
    });
    expect(claim.metadata.ownerReferences).toHaveLength(1);
    for (const c of find(objects, "Deployment").spec.template.spec.containers) {
      const mount = c.volumeMounts.find((m: { name: string }) => m.name === "workspace");
      if (mount)
        expect(mount, c.name).toEqual({ name: "workspace", mountPath: "/workspace", subPath: "workspace" });
    }
    expect(claim.spec).toEqual({
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "5Gi" } },
      storageClassName: "fast",
    });
    const volumes = find(objects, "Deployment").spec.template.spec.volumes;
    expect(volumes.find((v: { name: string }) => v.name === "workspace")).toEqual({
      name: "workspace",
      persistentVolumeClaim: { claimName: "fix-bug-workspace" },
    });
  });

  it("keeps the claim out of the garbage collector's reach when the Org retains workspaces", () => {
    const claim = find(
      renderTask(task(), storage({ reclaimPolicy: "Retain" }), opts),
      "PersistentVolumeClaim",
    );
    expect(claim.metadata.ownerReferences).toBeUndefined();
    expect(claim.metadata.annotations).toEqual({ "agentyard.dev/reclaim-policy": "Retain" });
    expect(claim.spec.storageClassName).toBeUndefined();
  });

  it("keeps the claim while the agent is stopped, and mounts it in a bare Pod too", () => {
    const stopped = renderTask(task(), storage(), { ...opts, running: false });
    expect(find(stopped, "Deployment").spec.replicas).toBe(0);
    expect(find(stopped, "PersistentVolumeClaim")).toBeDefined();
    const bare = find(
      renderTask(task(), org({ agent: { workload: "Pod" }, workspace: { storage: { size: "1Gi" } } }), opts),
      "Pod",
    );
    expect(bare.spec.volumes[0]).toEqual({
      name: "workspace",
      persistentVolumeClaim: { claimName: "fix-bug-workspace" },
    });
  });

  it("leaves an existing claim's size and class as they are when the Org changes them", () => {
    const existing = { size: "5Gi", storageClassName: "local-path" };
    const objects = renderTask(task(), storage({ size: "20Gi", storageClassName: "fast" }), {
      ...opts,
      workspaceClaim: existing,
    });
    expect(find(objects, "PersistentVolumeClaim").spec).toEqual({
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: "5Gi" } },
      storageClassName: "local-path",
    });
  });

  it("uses an emptyDir without it", () => {
    const volumes = find(renderTask(task(), org(), opts), "Deployment").spec.template.spec.volumes;
    expect(volumes[0]).toEqual({ name: "workspace", emptyDir: {} });
  });
});
