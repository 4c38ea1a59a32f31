import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { extname, join, relative, sep } from "node:path";
import type { FastifyPluginAsync, FastifyReply } from "fastify";
import { DIST } from "./build.ts";

export interface DashboardOptions {
  /** The built dashboard; dashboard/dist by default. */
  dist?: string;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
};

/**
 * Everything the page loads comes from this origin; API calls too. Lit's styles are constructed
 * stylesheets, which CSP does not govern, so no 'unsafe-inline' is needed.
 */
const CSP = [
  "default-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
  /** vite names bundles by content hash: those never change, the page itself may. */
  immutable: boolean;
}

async function loadAssets(dist: string): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>();
  const entries = await readdir(dist, { withFileTypes: true, recursive: true });
  for (const entry of entries) {
    if (!entry.isFile() || entry.name.startsWith(".")) continue;
    const path = join(entry.parentPath, entry.name);
    const url = `/${relative(dist, path).split(sep).join("/")}`;
    const body = await readFile(path);
    assets.set(url, {
      body,
      type: TYPES[extname(path)] ?? "application/octet-stream",
      etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`,
      immutable: url.startsWith("/assets/"),
    });
  }
  return assets;
}

function send(reply: FastifyReply, asset: Asset, ifNoneMatch: string | undefined) {
  reply
    .header("cache-control", asset.immutable ? "public, max-age=31536000, immutable" : "no-cache")
    .header("etag", asset.etag)
    .header("x-content-type-options", "nosniff");
  if (asset.type.startsWith("text/html")) {
    reply.header("content-security-policy", CSP).header("referrer-policy", "no-referrer");
  }
  if (ifNoneMatch === asset.etag) return reply.code(304).send();
  return reply.type(asset.type).send(asset.body);
}

/**
 * Serves the built dashboard at `/`. The files are read once, when the api starts: a few hundred
 * kilobytes, served from memory. Register it at the root of the api, outside the authenticated
 * scope: the page holds no data, and it signs in to the API itself.
 */
export const dashboardPlugin: FastifyPluginAsync<DashboardOptions> = async (app, options) => {
  const dist = options.dist ?? DIST;
  const hide = { schema: { hide: true } };
  if (!existsSync(join(dist, "index.html"))) {
    app.get("/", hide, async (_request, reply) =>
      reply
        .code(503)
        .type("text/plain; charset=utf-8")
        .send(`The dashboard is not built. Run \`npm run build:dashboard\`, then restart the api.\n`),
    );
    return;
  }
  const assets = await loadAssets(dist);
  const index = assets.get("/index.html") as Asset;
  app.get("/", hide, async (request, reply) => send(reply, index, request.headers["if-none-match"]));
  for (const [url, asset] of assets) {
    app.get(url, hide, async (request, reply) => send(reply, asset, request.headers["if-none-match"]));
  }
};
