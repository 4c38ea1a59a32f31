import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../devcluster/http.ts";
import {
  defaultPrograms,
  LOCAL_LABEL,
  LOCAL_TAINT,
  type NodeAgent,
  startNodeAgent,
} from "../devcluster/node-agent/index.ts";
import type { Pod } from "../devcluster/node-agent/types.ts";
import type { Tailnet, TailnetNode } from "../devcluster/tailnet.ts";
import { TAILSCALE_VERSION } from "../devcluster/versions.ts";
import { kubectl, mustKubectl, sharedCluster, uniqueName } from "./support/cluster.ts";
import { getThroughSocks, startTailnetWithLaptop, tailscaledsIn } from "./support/tailnet.ts";

/** Stands in for the editor: answers every request with its path, on the address its args give. */
const WEB = `
import { createServer } from "node:http";
const [host, port] = process.argv[process.argv.indexOf("--listen") + 1].split(":");
createServer((req, res) => res.end("editor " + req.url)).listen(Number(port), host);
`;

const nodeName = uniqueName("tailnet-local");
const ns = uniqueName("tailnet-pod");
let work: string;
let tailnet: Tailnet;
let laptop: TailnetNode;
let agent: NodeAgent;

async function getPod(name: string): Promise<Pod | undefined> {
  const r = await kubectl(["get", "pod", name, "-n", ns, "-o", "json"]);
  return r.code === 0 ? (JSON.parse(r.stdout) as Pod) : undefined;
}

/** The peers the laptop's tailscaled knows, by host name. */
async function peers(): Promise<string[]> {
  const status = await laptop.status();
  return Object.values(status.Peer ?? {}).map((p) => p.HostName);
}

/** A pod as an agent pod in sidecar mode has it: the editor, and the tailscale image publishing its port. */
function sidecarPod(name: string, hostname: string, keySecret: string) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns },
    spec: {
      nodeSelector: { [LOCAL_LABEL]: "true", "kubernetes.io/hostname": nodeName },
      tolerations: [{ key: LOCAL_TAINT.key, operator: "Exists", effect: "NoSchedule" }],
      containers: [
        {
          name: "editor",
          image: "test/web:1",
          args: ["--listen", "127.0.0.1:8443"],
          ports: [{ containerPort: 8443 }],
        },
        {
          name: "tailscale",
          image: `tailscale/tailscale:${TAILSCALE_VERSION}`,
          env: [
            { name: "TS_AUTHKEY", valueFrom: { secretKeyRef: { name: keySecret, key: "authkey" } } },
            { name: "TS_HOSTNAME", value: hostname },
            { name: "TS_EXTRA_ARGS", value: `--login-server=${tailnet.controlUrl}` },
            { name: "TS_USERSPACE", value: "true" },
            { name: "TS_STATE_DIR", value: "/var/lib/tailscale" },
            { name: "TS_SERVE_CONFIG", value: "/etc/tailscale-serve/serve.json" },
            { name: "TS_ENABLE_HEALTH_CHECK", value: "true" },
            { name: "TS_LOCAL_ADDR_PORT", value: "127.0.0.1:9002" },
          ],
          ports: [{ containerPort: 9002 }],
          readinessProbe: { httpGet: { path: "/healthz", port: 9002 }, periodSeconds: 1 },
          volumeMounts: [
            { name: "tailscale-state", mountPath: "/var/lib/tailscale" },
            { name: "serve", mountPath: "/etc/tailscale-serve" },
          ],
        },
      ],
      volumes: [
        { name: "tailscale-state", emptyDir: {} },
        { name: "serve", configMap: { name: "serve" } },
      ],
    },
  };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "agentyard-tailnet-pod-"));
  ({ tailnet, laptop } = await startTailnetWithLaptop(work));
  const script = join(work, "web.mjs");
  await writeFile(script, WEB);
  agent = await startNodeAgent({
    kubeconfig: sharedCluster().kubeconfig,
    nodeName,
    workDir: join(work, "agent"),
    programs: {
      ...defaultPrograms(),
      "test/web": { prepare: async () => ({ entrypoint: [process.execPath, script] }) },
    },
  });
  await mustKubectl(["create", "namespace", ns]);
  // The controller-manager makes the namespace's default ServiceAccount, which admission needs.
  await waitFor(
    "the namespace's default ServiceAccount",
    async () =>
      (await kubectl(["get", "serviceaccount", "default", "-n", ns])).code === 0 ? true : undefined,
    { timeoutMs: 60_000 },
  );
  await mustKubectl([
    "create",
    "secret",
    "generic",
    "tailnet-key",
    "-n",
    ns,
    `--from-literal=authkey=${tailnet.authKey}`,
  ]);
  await mustKubectl([
    "create",
    "secret",
    "generic",
    "wrong-key",
    "-n",
    ns,
    "--from-literal=authkey=tskey-wrong",
  ]);
  await mustKubectl([
    "create",
    "configmap",
    "serve",
    "-n",
    ns,
    `--from-literal=serve.json=${JSON.stringify({ TCP: { "8443": { TCPForward: "127.0.0.1:8443" } } })}`,
  ]);
}, 1_800_000);

afterAll(async () => {
  await kubectl(["delete", "namespace", ns, "--wait=false"]);
  await agent?.stop();
  await laptop?.stop();
  await tailnet?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("the tailscale image on the node agent", { timeout: 240_000 }, () => {
  it("joins the tailnet, publishes the editor's port by MagicDNS name, and stops with the pod", async () => {
    await mustKubectl(["apply", "-f", "-"], JSON.stringify(sidecarPod("editor", "org-task", "tailnet-key")));
    await waitFor(
      "the sidecar to be Ready",
      async () => {
        const pod = await getPod("editor");
        const ready = pod?.status?.containerStatuses?.find((c) => c.name === "tailscale")?.ready;
        return ready ? pod : undefined;
      },
      { timeoutMs: 120_000 },
    );
    const fqdn = `org-task.${tailnet.domain}`;
    const answer = await waitFor(
      `${fqdn}:8443 through the laptop's SOCKS5 proxy`,
      async () => {
        const text = await getThroughSocks(laptop.socks5Url as string, fqdn, 8443, "/healthz").catch(
          () => "",
        );
        return text.includes("editor /healthz") ? text : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200/);

    await mustKubectl(["delete", "pod", "editor", "-n", ns, "--wait=true", "--timeout=90s"]);
    // The pod's tailscaled, a process group of its own, is stopped with the pod all the same.
    await waitFor(
      "the deleted pod's tailscaled to be gone",
      async () => ((await tailscaledsIn(join(work, "agent"))).length === 0 ? true : undefined),
      { timeoutMs: 60_000 },
    );
  });

  it("keeps a pod with a wrong key not Ready, saying why, without crashing the node agent", async () => {
    await mustKubectl(
      ["apply", "-f", "-"],
      JSON.stringify(sidecarPod("refused", "refused-task", "wrong-key")),
    );
    const pod = await waitFor(
      "the refused sidecar to report its failure",
      async () => {
        const seen = await getPod("refused");
        const status = seen?.status?.containerStatuses?.find((c) => c.name === "tailscale");
        return status && (status.restartCount ?? 0) > 0 ? seen : undefined;
      },
      { timeoutMs: 120_000 },
    );
    const status = pod.status?.containerStatuses?.find((c) => c.name === "tailscale");
    expect(status?.ready).toBe(false);
    const logs = await kubectl(["logs", "refused", "-n", ns, "-c", "tailscale", "--previous"]);
    expect(`${logs.stdout}${logs.stderr}`).toMatch(/tailscale up failed: .*invalid authkey/i);
    expect(await peers()).not.toContain("refused-task");
    await mustKubectl(["delete", "pod", "refused", "-n", ns, "--wait=true", "--timeout=90s"]);
  });
});
