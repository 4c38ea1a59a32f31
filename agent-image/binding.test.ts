import { writeFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BINDING_ENV } from "../schema/contract/index.ts";
import {
  type BindingOptions,
  bindingTarget,
  boundEnv,
  idleGitSide,
  parseBinding,
  waitForBinding,
} from "./binding.ts";
import { ConfigError } from "./config.ts";
import type { ConfigMapTarget } from "./kube-api.ts";

const NAMESPACE = "org-acme";
const NAME = "m-1-binding";
const COLLECTION = `/api/v1/namespaces/${NAMESPACE}/configmaps`;

interface Seen {
  url: URL;
  authorization: string | undefined;
  /** Resolves when the client closes the connection. */
  closed: Promise<void>;
}

type Handler = (seen: Seen, res: ServerResponse) => void;

let dir: string;
let server: Server;
let target: ConfigMapTarget;
let requests: Seen[];
let handlers: Handler[];

/** Answers the requests in order, one handler each; a test that runs out of them fails. */
function answer(...next: Handler[]) {
  handlers.push(...next);
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "agentyard-binding-"));
  await writeFile(join(dir, "token"), "token-1\n");
  requests = [];
  handlers = [];
  server = createServer((req, res) => {
    const seen: Seen = {
      url: new URL(req.url ?? "/", "http://127.0.0.1"),
      authorization: req.headers.authorization,
      closed: new Promise((resolve) => res.on("close", () => resolve())),
    };
    requests.push(seen);
    const handler = handlers.shift();
    if (!handler) {
      res.writeHead(500).end(JSON.stringify({ message: `unexpected request ${req.url}` }));
      return;
    }
    handler(seen, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  target = {
    server: `http://127.0.0.1:${port}`,
    ca: "",
    tokenFile: join(dir, "token"),
    namespace: NAMESPACE,
    name: NAME,
  };
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

const configMap = (data?: Record<string, string>) => ({
  metadata: { name: NAME, namespace: NAMESPACE, resourceVersion: "41" },
  ...(data ? { data } : {}),
});

const status =
  (code: number): Handler =>
  (_seen, res) => {
    res.writeHead(code, { "content-type": "application/json" });
    res.end(JSON.stringify({ kind: "Status", code, message: `status ${code}` }));
  };

const list =
  (data?: Record<string, string>, resourceVersion = "42"): Handler =>
  (seen, res) => {
    expect(seen.url.pathname).toBe(COLLECTION);
    expect(seen.url.searchParams.get("fieldSelector")).toBe(`metadata.name=${NAME}`);
    expect(seen.url.searchParams.has("watch")).toBe(false);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        kind: "ConfigMapList",
        metadata: { resourceVersion },
        items: data === undefined ? [] : [configMap(data)],
      }),
    );
  };

/** A watch kept open for the test to write events into, or ended at once after `events`. */
function watch(streams: ServerResponse[], events: object[] = [], end = false): Handler {
  return (seen, res) => {
    expect(seen.url.pathname).toBe(COLLECTION);
    expect(seen.url.searchParams.get("watch")).toBe("1");
    res.writeHead(200, { "content-type": "application/json" });
    res.flushHeaders();
    for (const event of events) res.write(`${JSON.stringify(event)}\n`);
    if (end) res.end();
    else streams.push(res);
  };
}

const binding = (vars: Record<string, string>) => ({ agent: JSON.stringify(vars) });

function options(overrides: Partial<BindingOptions> = {}) {
  const logs: string[] = [];
  const opts: BindingOptions = {
    target,
    key: "agent",
    signal: new AbortController().signal,
    log: (message) => logs.push(message),
    firstBackoffMs: 1,
    maxBackoffMs: 4,
    ...overrides,
  };
  return { opts, logs };
}

describe("waitForBinding", () => {
  it("takes a binding already there from the list, without watching", async () => {
    answer(list(binding({ AGENTYARD_TASK: "fix-bug" })));
    expect(await waitForBinding(options().opts)).toEqual({ AGENTYARD_TASK: "fix-bug" });
    expect(requests).toHaveLength(1);
    expect(requests[0]?.authorization).toBe("Bearer token-1");
  });

  it("watches from the list's resourceVersion until the key arrives", async () => {
    const streams: ServerResponse[] = [];
    answer(list({}, "42"), watch(streams));
    const waiting = waitForBinding(options().opts);
    await vi.waitFor(() => expect(streams).toHaveLength(1));
    const query = requests[1]?.url.searchParams;
    expect(query?.get("resourceVersion")).toBe("42");
    expect(query?.get("fieldSelector")).toBe(`metadata.name=${NAME}`);
    expect(query?.get("allowWatchBookmarks")).toBe("false");
    expect(query?.get("timeoutSeconds")).toBe("300");
    const stream = streams[0] as ServerResponse;
    // The git container's key is not the agent's; an event without the agent's is no binding.
    stream.write(`${JSON.stringify({ type: "MODIFIED", object: configMap({ git: "{}" }) })}\n`);
    const event = JSON.stringify({ type: "MODIFIED", object: configMap(binding({ AGENTYARD_TASK: "t" })) });
    // Split mid-event: a line is whole only at its newline.
    stream.write(event.slice(0, 20));
    stream.write(`${event.slice(20)}\n`);
    expect(await waiting).toEqual({ AGENTYARD_TASK: "t" });
    // The watch is closed, not left open for the rest of the task.
    await requests[1]?.closed;
  });

  it("waits through 404 and 403 (the ConfigMap and Role come just after the pod) and a 500", async () => {
    answer(status(404), status(403), status(500), list(binding({ A: "1" })));
    const { opts, logs } = options();
    expect(await waitForBinding(opts)).toEqual({ A: "1" });
    expect(requests).toHaveLength(4);
    expect(logs).toEqual([
      "the binding cannot be read yet; waiting",
      "the binding cannot be read yet; waiting",
      "reading the binding failed; retrying",
    ]);
  });

  it("lists and watches again when a watch ends or sends an ERROR", async () => {
    const streams: ServerResponse[] = [];
    const gone = {
      type: "ERROR",
      object: { kind: "Status", code: 410, message: "too old resource version" },
    };
    answer(
      list({}, "1"),
      watch(streams, [{ type: "ADDED", object: configMap({}) }], true),
      list({}, "2"),
      watch(streams, [gone]),
      list({}, "3"),
      watch(streams, [{ type: "ADDED", object: configMap(binding({ A: "3" })) }]),
    );
    const { opts, logs } = options();
    expect(await waitForBinding(opts)).toEqual({ A: "3" });
    expect(requests.map((r) => r.url.searchParams.get("resourceVersion"))).toEqual([
      null,
      "1",
      null,
      "2",
      null,
      "3",
    ]);
    expect(logs).toEqual(["the binding's watch ended with an error; listing again"]);
  });

  it("reconnects a watch whose connection is lost", async () => {
    answer(
      list({}),
      (_seen, res) => {
        res.writeHead(200);
        res.flushHeaders();
        res.socket?.destroy();
      },
      list(binding({ A: "1" })),
    );
    const { opts, logs } = options();
    expect(await waitForBinding(opts)).toEqual({ A: "1" });
    expect(logs).toEqual(["reading the binding failed; retrying"]);
  });

  it("reads the token again for every request: the kubelet rotates it", async () => {
    answer(
      (seen, res) => {
        expect(seen.authorization).toBe("Bearer token-1");
        writeFileSync(target.tokenFile, "token-2\n");
        status(404)(seen, res);
      },
      list(binding({ A: "1" })),
    );
    await waitForBinding(options().opts);
    expect(requests[1]?.authorization).toBe("Bearer token-2");
  });

  it("ends without a binding as soon as the signal aborts a watch", async () => {
    const streams: ServerResponse[] = [];
    answer(list({}), watch(streams));
    const controller = new AbortController();
    const waiting = waitForBinding(options({ signal: controller.signal }).opts);
    await vi.waitFor(() => expect(streams).toHaveLength(1));
    controller.abort("SIGTERM");
    expect(await waiting).toBeUndefined();
    await requests[1]?.closed;
  });

  it("ends without a binding as soon as the signal aborts a backoff", async () => {
    answer(status(404));
    const controller = new AbortController();
    const { opts, logs } = options({
      signal: controller.signal,
      firstBackoffMs: 600_000,
      maxBackoffMs: 600_000,
    });
    const waiting = waitForBinding(opts);
    await vi.waitFor(() => expect(logs).toHaveLength(1));
    controller.abort("SIGTERM");
    expect(await waiting).toBeUndefined();
  });

  it("gives up on a failure that will not pass by itself", async () => {
    answer(status(401));
    await expect(waitForBinding(options().opts)).rejects.toThrow("HTTP 401: status 401");
  });

  it("fails on a malformed binding, naming its key", async () => {
    answer(list({ git: JSON.stringify({ A: 1 }) }));
    const waiting = waitForBinding(options({ key: "git" }).opts);
    await expect(waiting).rejects.toThrow(ConfigError);
    await expect(waiting).rejects.toThrow(`the binding's key "git" gives A 1, not a string`);
  });
});

describe("parseBinding", () => {
  it("reads a JSON object of variable name → string, values as they are", () => {
    expect(parseBinding("agent", JSON.stringify({ AGENTYARD_PROMPT: "costs $$5", _x: "" }))).toEqual({
      AGENTYARD_PROMPT: "costs $$5",
      _x: "",
    });
  });

  it.each([
    ["", "is not JSON"],
    ["not json", "is not JSON"],
    ['["A"]', "is not a JSON object of variable name → value"],
    ["null", "is not a JSON object of variable name → value"],
    ['"A=1"', "is not a JSON object of variable name → value"],
    ['{"A":null}', "gives A null, not a string"],
    ['{"A":{"B":"1"}}', 'gives A {"B":"1"}, not a string'],
    ['{"1A":"x"}', 'names "1A", not a variable name'],
    ['{"A-B":"x"}', 'names "A-B", not a variable name'],
    ['{"A=B":"x"}', 'names "A=B", not a variable name'],
    ['{"A":"x\\u0000y"}', "gives A a value with a NUL character"],
  ])("refuses %s, naming the key", (raw, why) => {
    expect(() => parseBinding("agent", raw)).toThrow(new ConfigError(`the binding's key "agent" ${why}`));
  });
});

describe("bindingTarget", () => {
  it("is the member's binding ConfigMap, read with the pod's ServiceAccount", async () => {
    await writeFile(join(dir, "ca.crt"), "PEM");
    const env = {
      [BINDING_ENV]: NAME,
      AGENTYARD_NAMESPACE: NAMESPACE,
      KUBERNETES_SERVICE_HOST: "10.0.0.1",
      KUBERNETES_SERVICE_PORT: "443",
      AGENTYARD_SERVICEACCOUNT_DIR: dir,
    };
    expect(await bindingTarget(env)).toEqual({
      server: "https://10.0.0.1:443",
      ca: "PEM",
      tokenFile: join(dir, "token"),
      namespace: NAMESPACE,
      name: NAME,
    });
  });

  it("is none in a pod made for its task", async () => {
    expect(await bindingTarget({ AGENTYARD_NAMESPACE: NAMESPACE })).toBeUndefined();
  });

  it("needs the namespace and the API server", async () => {
    await expect(bindingTarget({ [BINDING_ENV]: NAME })).rejects.toThrow("AGENTYARD_NAMESPACE must be set");
    await expect(bindingTarget({ [BINDING_ENV]: NAME, AGENTYARD_NAMESPACE: NAMESPACE })).rejects.toThrow(
      "KUBERNETES_SERVICE_HOST is not",
    );
  });
});

describe("boundEnv", () => {
  it("puts the binding over the pod's environment, without the binding's name", () => {
    const pod = { [BINDING_ENV]: NAME, AGENTYARD_NAMESPACE: NAMESPACE, PATH: "/bin", GIT_AUTHOR_NAME: "org" };
    const env = boundEnv(pod, { AGENTYARD_TASK: "fix-bug", GIT_AUTHOR_NAME: "task" });
    expect(env).toEqual({
      AGENTYARD_NAMESPACE: NAMESPACE,
      PATH: "/bin",
      AGENTYARD_TASK: "fix-bug",
      GIT_AUTHOR_NAME: "task",
    });
    expect(pod[BINDING_ENV]).toBe(NAME);
  });
});

describe("idleGitSide", () => {
  const member = { [BINDING_ENV]: NAME, AGENTYARD_NAMESPACE: NAMESPACE };

  it("idles a member's git container bound to a task without a repository", () => {
    expect(idleGitSide(member, boundEnv(member, {}))).toBe(true);
    expect(idleGitSide(member, boundEnv(member, { AGENTYARD_REPO_URL: "" }))).toBe(true);
  });

  it("serves a bound task's repository", () => {
    const env = boundEnv(member, { AGENTYARD_REPO_URL: "https://github.com/acme/app.git" });
    expect(idleGitSide(member, env)).toBe(false);
  });

  it("leaves a pod made for its task to fail on a missing repository, as before", () => {
    expect(idleGitSide({}, {})).toBe(false);
  });
});
