import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { DevCluster as Cluster, type DevCluster } from "../devcluster/cluster.ts";
import { waitFor } from "../devcluster/http.ts";
import { kubeconfigYaml } from "../devcluster/kubeconfig.ts";
import type { RunningOperator } from "../operator/main.ts";
import { taskManifest } from "../schema/fixtures.test-support.ts";
import {
  applyManifest,
  clusterWithCrds,
  condition,
  getJson,
  getOrg,
  getTask,
  orgWhenReadyReason,
  orgWithKubeconfig,
  startTestOperator,
} from "./support/operator.ts";
import { forwardTo, type RecordingServer, recordingServer } from "./support/tls.ts";

/**
 * Whoever writes an Org's kubeconfig Secret must not be able to make the operator read its own
 * files, send its credentials away, or read what other servers answer. A loopback HTTPS server
 * stands in for the server a kubeconfig names: it notes every Authorization header it receives
 * and answers with marker strings that must never show in an Org's status or Events.
 */

// Short: a JSON parser quotes only the first few characters it could not parse.
const MARKER = "zq-kc-mark";

let management: DevCluster;
let east: DevCluster;
let operator: RunningOperator;
let server: RecordingServer;
let files: string;

/**
 * The first path segment picks the behaviour, so one server plays several clusters: a kubeconfig's
 * server URL may carry a path, as it does behind a proxy.
 */
function serve(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? "/", "https://127.0.0.1");
  const [, mode, ...rest] = url.pathname.split("/");
  const path = `/${rest.join("/")}`;
  const marked = { "content-type": "application/json", "x-detail": MARKER };
  const status = JSON.stringify({
    kind: "Status",
    status: "Failure",
    message: `${MARKER} says no`,
    code: 500,
  });
  switch (mode) {
    case "fails":
      res.writeHead(500, marked).end(status);
      return;
    case "not-json":
      res.writeHead(200, { "content-type": "application/json" }).end(MARKER);
      return;
    case "odd-type":
      res.writeHead(200, { "content-type": `application/${MARKER}` }).end("{}");
      return;
    case "east":
      // An Org's namespace is the first thing applied for it, a task's children are named after
      // the task; everything else is the real cluster's answer.
      if (
        path === "/api/v1/namespaces/org-fails-apply" ||
        (req.method === "PATCH" && /\/doomed[^/]*$/.test(path))
      )
        res.writeHead(500, marked).end(status);
      else forwardTo(east, req, res, `${path}${url.search}`);
      return;
    default:
      if (path === "/version")
        res.writeHead(200, { "content-type": "application/json" }).end('{"major":"1"}');
      else res.writeHead(404, { "content-type": "application/json" }).end("{}");
  }
}

/** A kubeconfig for the test server under `mode`, with a token user, changed by `edit`. */
function kubeconfig(mode: string, edit: (doc: KubeconfigDoc) => void = () => {}, token = "t"): string {
  const doc = parse(
    kubeconfigYaml({ name: mode, server: `${server.url}/${mode}`, ca: server.ca, user: "tenant", token }),
  ) as KubeconfigDoc;
  edit(doc);
  return stringify(doc);
}

interface KubeconfigDoc {
  clusters: [{ name: string; cluster: Record<string, unknown> }];
  users: [{ name: string; user: Record<string, unknown> }];
}

interface Event {
  reason?: string;
  note?: string;
  regarding?: { kind?: string; name?: string };
}

/** An object's Events, once one has the reason; an Org's live in `default`, as for any cluster-scoped object. */
function eventsWhen(name: string, reason: string, kind = "Org", namespace = "default"): Promise<Event[]> {
  return waitFor(`an Event ${reason} about ${kind} ${name}`, async () => {
    const list = await getJson<{ items: Event[] }>(management, ["events.events.k8s.io", "-n", namespace]);
    const about = (list?.items ?? []).filter((e) => e.regarding?.kind === kind && e.regarding.name === name);
    return about.some((e) => e.reason === reason) ? about : undefined;
  });
}

beforeAll(async () => {
  [management, east] = await Promise.all([clusterWithCrds("mgmt"), Cluster.start({ name: "east" })]);
  server = await recordingServer(serve);
  files = await mkdtemp(join(tmpdir(), "agentyard-kubeconfig-"));
  await management.kubectl(["create", "namespace", "capi"]);
  operator = await startTestOperator(management);
});

afterAll(async () => {
  await operator?.stop();
  await server?.close();
  await Promise.all([management?.stop(), east?.stop()]);
  if (files) await rm(files, { recursive: true, force: true });
});

describe("a kubeconfig that would make the operator read a file", () => {
  it("is Stalled naming token-file, and the file's content is never sent", async () => {
    const secret = `file-secret-${randomBytes(8).toString("hex")}`;
    const path = join(files, "token");
    await writeFile(path, secret);
    await orgWithKubeconfig(
      management,
      "reads-file",
      kubeconfig("reads-file", (doc) => {
        doc.users[0] = { name: "tenant", user: { "token-file": path } };
      }),
    );
    // Either the Org reports, or the server was asked: then the file has already travelled.
    const org = await waitFor(
      "Org reads-file to report, or the server to be asked",
      async () => {
        const o = await getOrg(management, "reads-file");
        return condition(o, "Ready") || server.authorizations.some((a) => a.includes(secret)) ? o : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(server.authorizations.join("\n")).not.toContain(secret);
    expect(condition(org, "Stalled")).toMatchObject({ status: "True", reason: "InvalidKubeconfig" });
    expect(condition(org, "Stalled")?.message).toContain("users[0].user.token-file is not allowed");
    expect(org?.status?.clusterReachable).toBe(false);
  });
});

describe("a kubeconfig that would weaken the connection or its credentials", () => {
  const secret = `provider-secret-${randomBytes(8).toString("hex")}`;
  const cases: [string, (doc: KubeconfigDoc) => void, string][] = [
    [
      "plain-http",
      (doc) => {
        doc.clusters[0].cluster.server = server.url.replace("https:", "http:");
      },
      "clusters[0].cluster.server must be an https:// URL",
    ],
    [
      "skips-tls",
      (doc) => {
        doc.clusters[0].cluster["insecure-skip-tls-verify"] = true;
      },
      "clusters[0].cluster.insecure-skip-tls-verify is not allowed",
    ],
    [
      "via-proxy",
      (doc) => {
        doc.clusters[0].cluster["proxy-url"] = server.url;
      },
      "clusters[0].cluster.proxy-url is not allowed",
    ],
    [
      "auth-provider",
      (doc) => {
        doc.users[0] = {
          name: "tenant",
          user: { "auth-provider": { name: "file", config: { tokenFile: join(files, "provider-token") } } },
        };
      },
      "users[0].user.auth-provider is not allowed",
    ],
  ];

  it.each(cases)("%s is Stalled naming the key", async (name, edit, message) => {
    await writeFile(join(files, "provider-token"), secret);
    await orgWithKubeconfig(management, name, kubeconfig(name, edit));
    const org = await orgWhenReadyReason(management, name, "InvalidKubeconfig");
    expect(condition(org, "Stalled")?.status).toBe("True");
    expect(condition(org, "Stalled")?.message).toContain(message);
    expect(server.authorizations.join("\n")).not.toContain(secret);
  });
});

describe("what a remote server answers never reaches status or Events", () => {
  it.each([
    ["fails", "HTTP 500 (Internal Server Error)"],
    ["not-json", "its answer could not be parsed"],
    ["odd-type", "its answer is not a version"],
  ])("a probe answered by %s", async (name, said) => {
    await orgWithKubeconfig(management, name, kubeconfig(name));
    const org = await orgWhenReadyReason(management, name, "ClusterUnreachable");
    const events = await eventsWhen(name, "ClusterUnreachable");
    expect(JSON.stringify(org)).not.toContain(MARKER);
    expect(JSON.stringify(events)).not.toContain(MARKER);
    expect(condition(org, "Ready")?.message).toBe(`the cluster of capi/${name} does not answer: ${said}`);
  });

  it("an apply answered with an error, in a cluster that otherwise works", async () => {
    await orgWithKubeconfig(
      management,
      "fails-apply",
      kubeconfig("east", () => {}, east.token()),
    );
    const org = await orgWhenReadyReason(management, "fails-apply", "ApplyFailed");
    const events = await eventsWhen("fails-apply", "ApplyFailed");
    expect(JSON.stringify(org)).not.toContain(MARKER);
    expect(JSON.stringify(events)).not.toContain(MARKER);
    expect(condition(org, "Ready")?.message).toBe(
      "applying the Org's namespace in cluster capi/fails-apply failed: HTTP 500 (Internal Server Error)",
    );
  });

  it("a task's apply answered with an error, in the cluster of a Ready Org", async () => {
    await orgWithKubeconfig(
      management,
      "task-apply",
      kubeconfig("east", () => {}, east.token()),
    );
    await orgWhenReadyReason(management, "task-apply", "Ready");
    await applyManifest(
      management,
      taskManifest("doomed", "org-task-apply", { org: "task-apply", prompt: "x" }),
    );
    const events = await eventsWhen("doomed", "ApplyFailed", "AgentTask", "org-task-apply");
    expect(JSON.stringify(events)).not.toContain(MARKER);
    expect(JSON.stringify(await getTask(management, "org-task-apply", "doomed"))).not.toContain(MARKER);
    expect(events.find((e) => e.reason === "ApplyFailed")?.note).toBe(
      "applying the agent's objects in cluster capi/task-apply failed: HTTP 500 (Internal Server Error)",
    );
  });
});

describe("a kubeconfig that is not one", () => {
  it.each([
    ["broken-yaml", `clusters: [${MARKER}`, /^the kubeconfig is not valid YAML: .* at line 1, column \d+$/],
    ["unknown-key", `${MARKER}: x`, /^the kubeconfig has a key at line 1, column 1 that is not allowed/],
  ])("%s is Stalled without quoting the Secret", async (name, text, message) => {
    await orgWithKubeconfig(management, name, text);
    const org = await orgWhenReadyReason(management, name, "InvalidKubeconfig");
    const events = await eventsWhen(name, "InvalidKubeconfig");
    expect(JSON.stringify(org)).not.toContain(MARKER);
    expect(JSON.stringify(events)).not.toContain(MARKER);
    expect(condition(org, "Stalled")?.message).toMatch(message);
  });
});
