import type { RequestListener, Server } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import {
  type ClientIdentity,
  type ClusterClient,
  clientFromKubeconfigFile,
  collectProcessMetrics,
  createLogger,
  defaultClient,
  type Logger,
} from "@agentyard/kube-runtime";
import cors from "@fastify/cors";
import rateLimit from "@fastify/rate-limit";
import Fastify from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { ZodType } from "zod";
import { dashboardPlugin } from "../dashboard/serve.ts";
import { authPlugin } from "./auth.ts";
import { registry as apiRegistry, httpRequests, kubeRequests } from "./metrics.ts";
import { openapiPlugin } from "./openapi.ts";
import { type ApiOptions, checkAuthMode, defaultApiOptions, parseListen } from "./options.ts";
import { PREFIXES } from "./prefixes.ts";
import { Problem, ProblemType, problemPlugin } from "./problem.ts";
import { RequestLogController } from "./request-log.ts";
import { responseCheckPlugin } from "./response-check.ts";
import { Reviewer } from "./review.ts";
import { eventRoutes } from "./routes/events.ts";
import { healthRoutes } from "./routes/health.ts";
import { orgRoutes } from "./routes/orgs.ts";
import { scheduleRoutes } from "./routes/schedule.ts";
import { taskEventRoutes } from "./routes/task-events.ts";
import { taskRoutes } from "./routes/tasks.ts";
import { whoamiRoutes } from "./routes/whoami.ts";
import { loopbackHosts, siteGuardPlugin } from "./site-guard.ts";
import { readTlsPair, watchTlsPair } from "./tls.ts";

/**
 * The api as a fastify instance, not yet listening. Each feature is an encapsulated plugin mounted
 * at its prefix (prefixes.ts). The public ones (health, metrics, OpenAPI, docs, the dashboard) sit at
 * the root; the others share one scope where authentication and the per-caller rate limit apply.
 */
export async function buildApi(options: ApiOptions, client: ClusterClient, log: Logger) {
  const tls = options.tls ? await readTlsPair(options.tls) : undefined;
  const app = Fastify({
    loggerInstance: log,
    bodyLimit: options.bodyLimitBytes,
    logController: new RequestLogController(),
    // An https.Server answers as fastify's http.Server does; only its TLS context is extra.
    ...(tls
      ? {
          serverFactory: (handler: RequestListener) => createHttpsServer(tls, handler) as unknown as Server,
        }
      : {}),
  }).withTypeProvider<ZodTypeProvider>();
  if (options.tls && tls) {
    const server = app.server as unknown as HttpsServer;
    const stop = watchTlsPair(options.tls, (pair) => server.setSecureContext(pair), log);
    app.addHook("onClose", async () => stop());
  }
  // Route schemas are zod schemas: zod validates, and a ZodError reaches the problem handler whole.
  // Answers are plain JSON: objects from the API server are passed on, not re-validated (but see
  // options.checkResponses).
  app.setValidatorCompiler<ZodType>(({ schema }) => (data) => {
    const result = schema.safeParse(data);
    return result.success ? { value: result.data } : { error: result.error };
  });
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  app.addHook("onResponse", async (request, reply) => {
    httpRequests.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? "unmatched",
        code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });

  await app.register(problemPlugin);
  // Without authentication, the Host and Origin checks are what keeps web pages out.
  let hosts: Set<string> | undefined;
  await app.register(siteGuardPlugin, {
    allowedHosts: () => {
      if (options.auth !== "none") return undefined;
      hosts ??= ownLoopbackHosts(app);
      return hosts;
    },
    corsOrigins: options.corsOrigins,
  });
  if (options.checkResponses) await app.register(responseCheckPlugin);
  if (options.corsOrigins.length > 0) {
    await app.register(cors, {
      origin: options.corsOrigins,
      allowedHeaders: ["authorization", "content-type", "idempotency-key", "last-event-id"],
      exposedHeaders: ["location", "retry-after"],
      methods: ["GET", "POST", "DELETE"],
    });
  }
  await app.register(openapiPlugin);
  await app.register(healthRoutes, { client });
  await app.register(dashboardPlugin);

  const reviewer = new Reviewer(client, {
    tokenCacheMs: options.tokenCacheMs,
    accessCacheMs: options.accessCacheMs,
  });
  await app.register(async (api) => {
    await api.register(authPlugin, {
      mode: options.auth,
      client,
      reviewer,
      localToken: options.localToken,
      reviewsPerMinutePerAddress: options.reviewsPerMinutePerAddress,
    });
    await api.register(rateLimit, {
      max: options.rateLimitPerMinute,
      timeWindow: 60_000,
      // After authentication, so that the limit is per caller and unauthenticated floods stop at 401.
      hook: "preHandler",
      keyGenerator: (request) => request.actor.caller?.username ?? request.ip,
      errorResponseBuilder: (_request, context) =>
        new Problem(
          429,
          ProblemType.rateLimited,
          `more than ${context.max} requests a minute; retry in ${context.after}`,
        ),
    });
    await api.register(scheduleRoutes, { prefix: PREFIXES.schedule, orgCacheMs: options.orgCacheMs });
    await api.register(taskRoutes, { prefix: PREFIXES.tasks });
    await api.register(taskEventRoutes, { prefix: PREFIXES.tasks });
    await api.register(whoamiRoutes, { prefix: PREFIXES.whoami });
    await api.register(orgRoutes, { prefix: PREFIXES.orgs });
    await api.register(eventRoutes, {
      prefix: PREFIXES.events,
      heartbeatMs: options.heartbeatMs,
      recheckMs: Math.max(options.tokenCacheMs, 1_000),
      maxStreams: options.maxStreams,
      maxStreamsPerCaller: options.maxStreamsPerCaller,
    });
  });
  return app;
}

export type ApiInstance = Awaited<ReturnType<typeof buildApi>>;

/** The names of the address the server listens on; none before it listens (requests injected in tests). */
function ownLoopbackHosts(app: {
  server: { address(): string | AddressInfo | null };
}): Set<string> | undefined {
  const address = app.server.address();
  if (!address || typeof address === "string") return undefined;
  return loopbackHosts(address.address, address.port);
}

/** The api's own connection to Kubernetes: from a kubeconfig file, else in-cluster or $KUBECONFIG. */
function kubernetesClient(kubeconfig: string | undefined): ClusterClient {
  const options: Partial<ClientIdentity> = {
    userAgent: "agentyard-api",
    fieldManager: "agentyard-api",
    observe: (request) => kubeRequests.inc(request),
  };
  return kubeconfig ? clientFromKubeconfigFile(kubeconfig, "api", options) : defaultClient("api", options);
}

export interface RunningApi {
  /** http(s)://host:port of the listening server. */
  url: string;
  app: ApiInstance;
  log: Logger;
  close(): Promise<void>;
}

/** Starts the api in this process: `agentyard api`, `npm start` and the tests all come through here. */
export async function startApi(overrides: Partial<ApiOptions> = {}): Promise<RunningApi> {
  const options = { ...defaultApiOptions(), ...overrides };
  const listen = parseListen(options.listen);
  checkAuthMode(options.auth, listen);
  const log = options.log ?? createLogger(options.logLevel, { name: "agentyard-api" });
  const client = kubernetesClient(options.kubeconfig);
  collectProcessMetrics(apiRegistry);
  const app = await buildApi(options, client, log);
  try {
    await app.listen({
      host: listen.host,
      port: listen.port,
      // fastify names the scheme from its own https option, which a server made by serverFactory skips.
      listenTextResolver: (address) =>
        `Server listening at ${options.tls ? address.replace(/^http:/, "https:") : address}`,
    });
  } catch (err) {
    await client.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : listen.port;
  const host = listen.host.includes(":") ? `[${listen.host}]` : listen.host;
  const url = `${options.tls ? "https" : "http"}://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`;
  if (options.auth === "none") {
    log.warn(
      { url },
      "AUTHENTICATION IS OFF (--auth=none): anyone who can reach this address acts with the api's own Kubernetes credentials. For the local devcluster only.",
    );
  }
  log.info({ url, kubernetes: client.kc.getCurrentCluster()?.server, auth: options.auth }, "api listening");
  return {
    url,
    app,
    log,
    async close() {
      await app.close();
      await client.close();
    },
  };
}
