import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";

/**
 * A TCP relay to the API server that can make what clients send arrive late, as a slow network or
 * bytes held in a paused process's TLS layer do: after `delay(ms)`, every byte from a client
 * reaches the server `ms` later, in order; answers pass at once. TLS goes through it untouched.
 */
export interface DelayingRelay {
  url: string;
  delay(ms: number): void;
  /** Bytes delayed since `delay()`, passed on or not. */
  delayedBytes(): number;
  /** True once every delayed byte has reached the server and every connection it went on was answered. */
  settled(): boolean;
  close(): Promise<void>;
}

interface Link {
  queue: { due: number; chunk: Buffer }[];
  timer: ReturnType<typeof setTimeout> | undefined;
  /** A delayed chunk reached the server and no answer has come since. */
  awaiting: boolean;
  clientGone: boolean;
}

export async function delayingRelay(target: string): Promise<DelayingRelay> {
  const { hostname, port } = new URL(target);
  const sockets: Socket[] = [];
  const links = new Set<Link>();
  let delayMs = 0;
  let delayed = 0;

  const server: Server = createServer((downstream) => {
    const upstream = tcpConnect(Number(port), hostname);
    sockets.push(downstream, upstream);
    const link: Link = { queue: [], timer: undefined, awaiting: false, clientGone: false };
    links.add(link);
    const flush = () => {
      link.timer = undefined;
      while (link.queue[0] && link.queue[0].due <= performance.now()) {
        upstream.write((link.queue.shift() as { chunk: Buffer }).chunk);
        link.awaiting = true;
      }
      const next = link.queue[0];
      if (next) link.timer = setTimeout(flush, next.due - performance.now());
      // A client that went away had its bytes sent already, as the network would deliver them.
      else if (link.clientGone && !link.awaiting) upstream.end();
    };
    downstream.on("data", (chunk: Buffer) => {
      if (delayMs === 0 && link.queue.length === 0) {
        upstream.write(chunk);
        return;
      }
      delayed += chunk.length;
      link.queue.push({ due: performance.now() + delayMs, chunk });
      link.timer ??= setTimeout(flush, delayMs);
    });
    upstream.on("data", (chunk: Buffer) => {
      link.awaiting = false;
      if (!downstream.destroyed) downstream.write(chunk);
      if (link.clientGone && link.queue.length === 0) upstream.end();
    });
    downstream.on("close", () => {
      link.clientGone = true;
      if (link.queue.length === 0 && !link.awaiting) upstream.end();
    });
    upstream.on("close", () => {
      links.delete(link);
      clearTimeout(link.timer);
      downstream.destroy();
    });
    for (const s of [downstream, upstream]) s.on("error", () => s.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as { port: number };
  return {
    url: `https://127.0.0.1:${address.port}`,
    delay: (ms) => {
      delayMs = ms;
    },
    delayedBytes: () => delayed,
    settled: () => [...links].every((l) => l.queue.length === 0 && !l.awaiting),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
