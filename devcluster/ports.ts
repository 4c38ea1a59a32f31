import { createServer } from "node:net";

const handedOut = new Set<number>();

/**
 * A free loopback port. Ports handed out earlier in this process are skipped, so that clusters
 * started side by side never collide with each other; the launcher retries if another process
 * took the port between this check and the bind.
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.on("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        const found = typeof address === "object" && address ? address.port : 0;
        server.close(() => resolve(found));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}
