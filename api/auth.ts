import { createHash, timingSafeEqual } from "node:crypto";
import type { ClusterClient } from "@agentyard/kube-runtime";
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { Actor } from "./actor.ts";
import { AddressBudget } from "./address-budget.ts";
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
  /** With mode none: the one bearer token every request must carry (npm start makes one per run). */
  localToken?: string | undefined;
  /** Token reviews the API server is asked for, per client address and minute. */
  reviewsPerMinutePerAddress: number;
}

const BEARER = /^Bearer +([^\s]+)$/i;

function unauthenticated(detail: string): Problem {
  return new Problem(401, ProblemType.unauthenticated, detail, {
    headers: { "www-authenticate": 'Bearer realm="agentyard"' },
  });
}

function bearerToken(header: string | undefined): string {
  if (!header) throw unauthenticated("send a bearer token: Authorization: Bearer <token>");
  const token = BEARER.exec(header)?.[1];
  if (!token) throw unauthenticated("the Authorization header must be Bearer <token>");
  return token;
}

const digest = (value: string) => createHash("sha256").update(value).digest();

/**
 * Authenticates every request of the scope it is registered in, before its body is read: a bearer
 * token the Kubernetes API server accepts (TokenReview), or with --auth=none the run's local token
 * when there is one. A token whose answer is not cached costs a TokenReview, so each address may
 * have only so many reviewed a minute: random tokens cannot make the api flood the API server.
 */
export const authPlugin = fp<AuthPluginOptions>(async (app: FastifyInstance, options) => {
  const { mode, client, reviewer, localToken } = options;
  const budget = new AddressBudget(options.reviewsPerMinutePerAddress, 60_000);
  const expected = localToken ? digest(localToken) : undefined;
  app.decorateRequest("actor", undefined as unknown as Actor);
  app.addHook("onRequest", async (request) => {
    if (mode === "none") {
      if (expected) {
        const token = bearerToken(request.headers.authorization);
        if (!timingSafeEqual(digest(token), expected)) {
          throw unauthenticated(
            "this is not the token this api was started with: open the dashboard link it printed, or send Authorization: Bearer <the token it printed>",
          );
        }
      }
      request.actor = new Actor(client);
      return;
    }
    const token = bearerToken(request.headers.authorization);
    if (!reviewer.knows(token)) {
      const retryAfter = budget.take(request.ip);
      if (retryAfter !== undefined) {
        throw new Problem(
          429,
          ProblemType.rateLimited,
          `more than ${options.reviewsPerMinutePerAddress} new tokens a minute from this address; retry in ${retryAfter} seconds`,
          { headers: { "retry-after": String(retryAfter) } },
        );
      }
    }
    const caller = await reviewer.authenticate(token);
    if (!caller)
      throw unauthenticated("the Kubernetes API server did not accept the bearer token (TokenReview)");
    request.actor = new Actor(client, reviewer, caller, async () => {
      const now = await reviewer.authenticate(token);
      return now?.username === caller.username && now.uid === caller.uid;
    });
  });
});
