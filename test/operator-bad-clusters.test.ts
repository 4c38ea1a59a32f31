import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
  orgWhenReadyReason,
  orgWithKubeconfig,
  phaseIs,
  startTestOperator,
  waitForTask,
} from "./support/operator.ts";
import { forwardTo, type RecordingServer, recordingServer, selfSignedCertificate } from "./support/tls.ts";

/**
 * Org clusters that misbehave must not stop the Orgs whose clusters work. Loopback HTTPS servers
 * play the bad clusters: one answers /version and refuses every list, one answers /version and
 * never answers a list, one never answers anything, one refuses lists and later answers as the east
 * devcluster. There are more of them than the operator has workers; a good Org in the east
 * devcluster still becomes Ready and runs its task.
 */

const MARKER = "zq-bad-mark";
const DEADLINES = { probeMs: 2_000, syncMs: 3_000 };

let management: DevCluster;
let east: DevCluster;
let operator: RunningOperator | undefined;
let server: RecordingServer;
let mute: Server;
let mutePort: number;
let muteCa: string;
const held: Socket[] = [];
let healed = false;
/** Paths asked of the server, by mode. */
const asked: Record<string, string[]> = {};

/** The first path segment picks the behaviour, as a kubeconfig's server URL may carry a path. */
function serve(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? "/", "https://127.0.0.1");
  const [, mode = "", ...rest] = url.pathname.split("/");
  const path = `/${rest.join("/")}`;
  asked[mode] = [...(asked[mode] ?? []), path];
  const version = () =>
    res
      .writeHead(200, { "content-type": "application/json", "x-detail": MARKER })
      .end(JSON.stringify({ major: "1", minor: "33", gitVersion: `v1.33.0-${MARKER}` }));
  const forbidden = () =>
    res.writeHead(403, { "content-type": "application/json", "x-detail": MARKER }).end(
      JSON.stringify({
        kind: "Status",
        status: "Failure",
        reason: "Forbidden",
        message: `${MARKER} forbids it`,
        code: 403,
      }),
    );
  switch (mode) {
    case "forbidden":
      if (path === "/version") version();
      else forbidden();
      return;
    case "silent":
      // Lists are held open and never answered; the server closes them when the suite ends.
      if (path === "/version") version();
      return;
    case "flaky":
      if (healed || path === "/version") forwardTo(east, req, res, `${path}${url.search}`);
      else forbidden();
      return;
    default:
      res.writeHead(404).end();
  }
}

/** Misbehaving servers answer within their own deadlines; the Orgs on them take longer to report. */
const SLOW_ORG_MS = 60_000;

function kubeconfig(name: string, server: string, ca: string, token = "t"): string {
  return kubeconfigYaml({ name, server, ca, user: "tenant", token });
}

interface Event {
  reason?: string;
  note?: string;
  regarding?: { kind?: string; name?: string };
}

async function orgEvents(name: string): Promise<Event[]> {
  const list = await getJson<{ items: Event[] }>(management, ["events.events.k8s.io", "-n", "default"]);
  return (list?.items ?? []).filter((e) => e.regarding?.kind === "Org" && e.regarding.name === name);
}

const BAD: [string, string][] = [
  ["forbidden-1", "forbidden"],
  ["forbidden-2", "forbidden"],
  ["silent-1", "silent"],
  ["silent-2", "silent"],
  ["flaky", "flaky"],
];

beforeAll(async () => {
  [management, east] = await Promise.all([clusterWithCrds("mgmt"), Cluster.start({ name: "east" })]);
  server = await recordingServer(serve);
  // Accepts connections and never says a word, not even the TLS handshake.
  mute = createServer((socket) => {
    socket.unref();
    held.push(socket);
  });
  await new Promise<void>((resolve) => mute.listen(0, "127.0.0.1", resolve));
  mute.unref();
  mutePort = (mute.address() as { port: number }).port;
  muteCa = (await selfSignedCertificate()).cert;
  await management.kubectl(["create", "namespace", "capi"]);
  operator = await startTestOperator(management, { concurrency: 2, clusterDeadlines: DEADLINES });
});

afterAll(async () => {
  await operator?.stop();
  await server?.close();
  for (const socket of held) socket.destroy();
  await new Promise((resolve) => mute?.close(resolve));
  await Promise.all([management?.stop(), east?.stop()]);
});

describe("Orgs whose clusters misbehave, more of them than the operator has workers", () => {
  it("do not keep a good Org from becoming Ready and running its task", async () => {
    for (const [name, mode] of BAD) {
      await orgWithKubeconfig(
        management,
        name,
        kubeconfig(name, `${server.url}/${mode}`, server.ca, east.token()),
      );
    }
    await orgWithKubeconfig(management, "mute", kubeconfig("mute", `https://127.0.0.1:${mutePort}`, muteCa));
    // Both workers are busy with bad clusters before the good Org comes.
    await waitFor("the bad servers to be asked for lists", async () =>
      ["forbidden", "silent"].every((mode) => asked[mode]?.some((p) => p !== "/version")) ? true : undefined,
    );

    await orgWithKubeconfig(management, "good", await readFile(east.kubeconfigPath(), "utf8"));
    const good = await orgWhenReadyReason(management, "good", "Ready", SLOW_ORG_MS);
    expect(good.status?.clusterReachable).toBe(true);
    await applyManifest(management, taskManifest("works", "org-good", { org: "good", prompt: "x" }));
    const running = await waitForTask(
      management,
      "org-good",
      "works",
      "to be Running",
      phaseIs("Running"),
      60_000,
    );
    expect(running.status?.cluster).toBe("capi/good");
  });

  it.each([
    ["forbidden-1", "HTTP 403 (Forbidden)"],
    ["forbidden-2", "HTTP 403 (Forbidden)"],
    ["silent-1", "no answer yet"],
    ["silent-2", "no answer yet"],
  ])("%s is not Ready: its lists did not finish, and why", async (name, why) => {
    const org = await orgWhenReadyReason(management, name, "ClusterUnreachable", SLOW_ORG_MS);
    expect(condition(org, "Ready")?.status).toBe("False");
    expect(condition(org, "Reconciling")?.status).toBe("True");
    expect(org.status?.clusterReachable).toBe(false);
    const message = condition(org, "Ready")?.message ?? "";
    expect(message).toMatch(
      new RegExp(`^the cluster of capi/${name} answers, but listing its [a-z, ]+ did not finish within 3s: `),
    );
    expect(message).toContain("deployments");
    expect(message.endsWith(`: ${why}`)).toBe(true);
    expect(JSON.stringify(org)).not.toContain(MARKER);
    expect(JSON.stringify(await orgEvents(name))).not.toContain(MARKER);
  });

  it("an Org whose cluster never answers is not Ready: its probe did not finish", async () => {
    const org = await orgWhenReadyReason(management, "mute", "ClusterUnreachable", SLOW_ORG_MS);
    expect(condition(org, "Ready")?.message).toBe("the cluster of capi/mute does not answer within 2s");
  });

  it("an Org becomes Ready by itself once its cluster answers its lists", async () => {
    const before = await orgWhenReadyReason(management, "flaky", "ClusterUnreachable", SLOW_ORG_MS);
    expect(condition(before, "Ready")?.message).toMatch(/did not finish within 3s: HTTP 403 \(Forbidden\)$/);
    expect(JSON.stringify(before)).not.toContain(MARKER);
    healed = true;
    const after = await orgWhenReadyReason(management, "flaky", "Ready", SLOW_ORG_MS);
    expect(after.status?.clusterReachable).toBe(true);
  });

  it("the operator stops without waiting on them", async () => {
    const running = operator as RunningOperator;
    operator = undefined;
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve("still stopping after 15s"), 15_000);
    });
    const stopped = await Promise.race([running.stop().then(() => "stopped"), hung]);
    clearTimeout(timer);
    expect(stopped).toBe("stopped");
  });
});
