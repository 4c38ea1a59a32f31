import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  /** The path as sent, still percent-encoded. */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, if any. */
  body: unknown;
}

export interface Answer {
  /** 0: never answer (the client's deadline must end the request). */
  status: number;
  body?: unknown;
}

export type Route = (request: RecordedRequest) => Answer | Promise<Answer>;

export interface RecordingServer {
  url: string;
  readonly requests: RecordedRequest[];
  /** Answers `METHOD /path` (the path as sent); a route not set answers 404 as the forges do. */
  on(method: string, path: string, route: Route | Answer): void;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 that records each request and answers what a test gives it. */
export async function recordingServer(): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  const routes = new Map<string, Route>();
  const server = createServer((req, res) => {
    let text = "";
    req.setEncoding("utf8").on("data", (chunk: string) => {
      text += chunk;
    });
    req.on("end", async () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const recorded: RecordedRequest = {
        method: req.method ?? "",
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body: text ? JSON.parse(text) : undefined,
      };
      requests.push(recorded);
      const route = routes.get(`${recorded.method} ${recorded.path}`);
      const answer = route ? await route(recorded) : { status: 404, body: { message: "Not Found" } };
      if (answer.status === 0) return;
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(answer.body === undefined ? "" : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    on: (method, path, route) =>
      routes.set(`${method} ${path}`, typeof route === "function" ? route : () => route),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
