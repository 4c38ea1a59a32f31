import { createServer, type Socket } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ClusterClient, clientFromKubeConfig } from "./client.ts";
import { KubeUnreachable } from "./errors.ts";

/** A loopback port that nothing listens on any more. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A client of an API server that is not there. */
function clientOfNobody(port: number, observed: { verb: string; code: string }[]): ClusterClient {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "nowhere", server: `https://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: "nobody", token: "unused" }],
    contexts: [{ name: "nowhere", cluster: "nowhere", user: "nobody" }],
    currentContext: "nowhere",
  });
  return clientFromKubeConfig(kc, "nowhere", { observe: (request) => observed.push(request) });
}

const alice = { username: "alice", groups: ["team-a", "system:authenticated"] };

describe("a client whose API server does not answer", () => {
  const observed: { verb: string; code: string }[] = [];
  let client: ClusterClient;

  beforeAll(async () => {
    client = clientOfNobody(await closedPort(), observed);
  });

  afterEach(async () => {
    observed.length = 0;
    await client.close();
  });

  it.each([
    ["as itself", {}],
    ["as someone else", { as: alice }],
  ])("fails a request made %s with KubeUnreachable, and tells the observer", async (_, options) => {
    const failed = client.request("GET", "/api/v1/namespaces", options);
    await expect(failed).rejects.toBeInstanceOf(KubeUnreachable);
    await expect(failed).rejects.toThrow(/did not answer: .*ECONNREFUSED/);
    expect(observed).toEqual([{ verb: "GET", code: "error" }]);
  });

  it("ends a watch made as someone else with KubeUnreachable, observed as a WATCH", async () => {
    const ended = new Promise<unknown>((resolve) => {
      void client.watch("/api/v1/pods", {}, () => {}, resolve, 1_000, { as: alice });
    });
    expect(await ended).toBeInstanceOf(KubeUnreachable);
    expect(observed).toEqual([{ verb: "WATCH", code: "error" }]);
  });
});

describe("a client whose API server takes connections and never answers", () => {
  it("gives up on typed calls and on discovery at its deadline", async () => {
    const held: Socket[] = [];
    const server = createServer((socket) => {
      held.push(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: "mute", server: `https://127.0.0.1:${port}`, skipTLSVerify: true }],
      users: [{ name: "nobody", token: "unused" }],
      contexts: [{ name: "mute", cluster: "mute", user: "nobody" }],
      currentContext: "mute",
    });
    const client = clientFromKubeConfig(kc, "mute", { timeoutMs: 300 });
    try {
      await expect(client.version.getCode()).rejects.toThrow();
      await expect(
        client.objects.pathOf({
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "a", namespace: "b" },
        }),
      ).rejects.toThrow();
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
