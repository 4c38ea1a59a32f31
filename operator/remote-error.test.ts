import { createServer } from "node:net";
import { type ClusterClient, clientFromKubeConfig } from "@agentyard/kube-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RecordingServer, recordingServer, selfSignedCertificate } from "../test/support/tls.ts";
import { kubeConfigOf } from "./kubeconfig-policy.ts";
import { describeRemoteError } from "./remote-error.ts";

// Short: a JSON parser quotes only the first few characters it could not parse.
const MARKER = "zq-mk-41c9";

let server: RecordingServer;
let otherCa: string;

beforeAll(async () => {
  server = await recordingServer((req, res) => {
    const path = req.url ?? "/";
    if (path.startsWith("/silent")) return;
    if (path.startsWith("/not-json")) {
      res.writeHead(200, { "content-type": "application/json" }).end(MARKER);
      return;
    }
    if (path.startsWith("/odd-type")) {
      res.writeHead(200, { "content-type": `application/${MARKER}` }).end("{}");
      return;
    }
    const status = path.startsWith("/forbidden") ? 403 : 500;
    res
      .writeHead(status, { "content-type": "application/json", "x-detail": MARKER })
      .end(JSON.stringify({ kind: "Status", message: `${MARKER} in the body` }));
  });
  otherCa = (await selfSignedCertificate()).cert;
});

afterAll(() => server?.close());

function client(url: string, ca = server.ca): ClusterClient {
  const kc = kubeConfigOf({
    cluster: { name: "c", server: url, caData: Buffer.from(ca).toString("base64") },
    user: { name: "u", token: "t" },
    context: "x",
  });
  return clientFromKubeConfig(kc, "test");
}

async function failure(call: Promise<unknown>): Promise<unknown> {
  try {
    await call;
  } catch (err) {
    return err;
  }
  throw new Error("the call succeeded");
}

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe("describeRemoteError says what failed in its own words", () => {
  it.each<[string, () => Promise<unknown>, string]>([
    [
      "an error status from a typed API",
      () => client(server.url).version.getCode(),
      "HTTP 500 (Internal Server Error)",
    ],
    [
      "an error status from a plain request",
      () => client(`${server.url}/forbidden`).request("GET", "/api/v1/namespaces/x"),
      "HTTP 403 (Forbidden)",
    ],
    [
      "an answer that is not JSON",
      () => client(`${server.url}/not-json`).version.getCode(),
      "its answer could not be parsed",
    ],
    [
      "an answer of another media type",
      () => client(`${server.url}/odd-type`).version.getCode(),
      "the request failed",
    ],
    [
      "a certificate signed by another CA",
      () => client(server.url, otherCa).version.getCode(),
      "TLS verification failed",
    ],
    [
      "a server that never answers",
      () => client(`${server.url}/silent`).request("GET", "/version", { timeoutMs: 300 }),
      "timed out",
    ],
  ])("%s", async (_, call, said) => {
    expect(describeRemoteError(await failure(call()))).toBe(said);
  });

  it("a port nobody listens on", async () => {
    const port = await closedPort();
    const err = await failure(client(`https://127.0.0.1:${port}`).version.getCode());
    expect(describeRemoteError(err)).toBe("connection refused");
  });

  it("a server that does not speak TLS", async () => {
    const plain = createServer((socket) => socket.end("HTTP/1.1 200 OK\r\n\r\n"));
    await new Promise<void>((resolve) => plain.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = plain.address() as { port: number };
      const err = await failure(client(`https://127.0.0.1:${port}`).version.getCode());
      expect(describeRemoteError(err)).toBe("the TLS handshake failed");
    } finally {
      plain.close();
    }
  });

  it("never what the server wrote, though the errors it makes quote it", async () => {
    for (const path of ["", "/forbidden", "/not-json", "/odd-type"]) {
      const err = await failure(client(`${server.url}${path}`).version.getCode());
      expect(`${(err as Error).message} ${JSON.stringify(err)}`).toContain(MARKER);
      expect(describeRemoteError(err)).not.toContain(MARKER);
    }
  });
});
