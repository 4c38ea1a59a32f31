import type { ClusterClient } from "@agentyard/kube-runtime";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { Actor } from "./actor.ts";
import { Problem, ProblemType } from "./problem.ts";
import type { Reviewer } from "./review.ts";

declare module "fastify" {
  interface FastifyRequest {
    /** The api acting for this request's caller; set before any handler runs. */
    actor: Actor;
  }
}

export type AuthMode = "token" | "none";

export interface AuthPluginOptions {
  mode: AuthMode;
  client: ClusterClient;
  reviewer: Reviewer;
}

const BEARER = /^Bearer +([^\s]+)$/i;

function unauthenticated(detail: string): Problem {
  return new Problem(401, ProblemType.unauthenticated, detail, {
    headers: { "www-authenticate": 'Bearer realm="agentyard"' },
  });
}

/**
 * Authenticates every request of the scope it is registered in, before its body is read: a bearer
 * token the Kubernetes API server accepts (TokenReview), or nothing with --auth=none.
 */
export const authPlugin = fp<AuthPluginOptions>(async (app: FastifyInstance, { mode, client, reviewer }) => {
  app.decorateRequest("actor", undefined as unknown as Actor);
  app.addHook("onRequest", async (request) => {
    if (mode === "none") {
      request.actor = new Actor(client);
      return;
    }
    const header = request.headers.authorization;
    if (!header) throw unauthenticated("send a Kubernetes bearer token: Authorization: Bearer <token>");
    const token = BEARER.exec(header)?.[1];
    if (!token) throw unauthenticated("the Authorization header must be Bearer <token>");
    const caller = await reviewer.authenticate(token);
    if (!caller)
      throw unauthenticated("the Kubernetes API server did not accept the bearer token (TokenReview)");
    request.actor = new Actor(client, reviewer, caller);
  });
});
