import { createHash } from "node:crypto";
import type { ClusterClient } from "@agentyard/kube-runtime";
import { type Caller, callerKey } from "./actor.ts";
import { keep, share } from "./kept.ts";
import { reviews } from "./metrics.ts";

/** What SubjectAccessReview asks about: the attributes of one Kubernetes request. */
export interface ResourceAttributes {
  verb: string;
  group: string;
  resource: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export interface Decision {
  allowed: boolean;
  reason?: string;
}

interface TokenReviewStatus {
  authenticated?: boolean;
  user?: { username?: string; uid?: string; groups?: string[]; extra?: Record<string, string[]> };
  error?: string;
}

interface Cached {
  caller: Caller | undefined;
  expires: number;
}

export interface ReviewerOptions {
  /** How long an accepted token is trusted before the API server is asked again. */
  tokenCacheMs: number;
  /**
   * How long an allowed SubjectAccessReview is kept, as kube-apiserver keeps a webhook's "allowed"
   * (--authorization-webhook-cache-authorized-ttl). A kept answer grants nothing: the review only
   * decides how a refusal reads, and the request the api then makes as the caller is authorized by
   * the API server itself. Denials are never kept: a right just granted works at once.
   */
  accessCacheMs: number;
}

/** A refused token is asked about again sooner: it may have just been created. */
const REFUSED_CACHE_MS = 1_000;

/**
 * Asks the API server who a bearer token belongs to (TokenReview) and whether that caller may do
 * something (SubjectAccessReview). Identical questions asked at the same time share one review, so a
 * burst of retries costs one round trip; token answers and access allowed are kept briefly (token
 * answers keyed by the token's hash).
 */
export class Reviewer {
  private readonly client: ClusterClient;
  private readonly options: ReviewerOptions;
  private readonly tokens = new Map<string, Cached>();
  /** When each allowed question's answer expires. */
  private readonly access = new Map<string, number>();
  private readonly pendingTokens = new Map<string, Promise<Caller | undefined>>();
  private readonly pendingAccess = new Map<string, Promise<Decision>>();

  constructor(client: ClusterClient, options: ReviewerOptions) {
    this.client = client;
    this.options = options;
  }

  /** Whether `token`'s answer is at hand, so authenticating it costs the API server nothing. */
  knows(token: string): boolean {
    const cached = this.tokens.get(tokenKey(token));
    return cached !== undefined && cached.expires > Date.now();
  }

  /** The caller a token authenticates, or undefined when the API server refuses it. */
  authenticate(token: string): Promise<Caller | undefined> {
    const key = tokenKey(token);
    const cached = this.tokens.get(key);
    if (cached && cached.expires > Date.now()) {
      reviews.inc({ kind: "TokenReview", result: "cached" });
      return Promise.resolve(cached.caller);
    }
    return share(this.pendingTokens, key, async () => {
      const caller = await this.tokenReview(token);
      this.remember(key, caller);
      return caller;
    });
  }

  allowed(caller: Caller, attributes: ResourceAttributes): Promise<Decision> {
    const key = JSON.stringify([callerKey(caller), attributes]);
    const expires = this.access.get(key);
    if (expires !== undefined && expires > Date.now()) {
      reviews.inc({ kind: "SubjectAccessReview", result: "cached" });
      return Promise.resolve({ allowed: true });
    }
    return share(this.pendingAccess, key, async () => {
      const review = await this.client.request<{ status?: { allowed?: boolean; reason?: string } }>(
        "POST",
        "/apis/authorization.k8s.io/v1/subjectaccessreviews",
        {
          body: {
            apiVersion: "authorization.k8s.io/v1",
            kind: "SubjectAccessReview",
            // The whole identity, as the API server authenticated it: a webhook authorizer or a
            // ServiceAccount's bound-token rules may decide on the uid and extra, not only the name.
            spec: {
              user: caller.username,
              groups: caller.groups,
              ...(caller.uid ? { uid: caller.uid } : {}),
              ...(caller.extra ? { extra: caller.extra } : {}),
              resourceAttributes: attributes,
            },
          },
        },
      );
      const allowed = review.status?.allowed === true;
      reviews.inc({ kind: "SubjectAccessReview", result: allowed ? "allowed" : "denied" });
      if (allowed) keep(this.access, key, Date.now() + this.options.accessCacheMs);
      else this.access.delete(key);
      return review.status?.reason ? { allowed, reason: review.status.reason } : { allowed };
    });
  }

  private async tokenReview(token: string): Promise<Caller | undefined> {
    const review = await this.client.request<{ status?: TokenReviewStatus }>(
      "POST",
      "/apis/authentication.k8s.io/v1/tokenreviews",
      { body: { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token } } },
    );
    const status = review.status ?? {};
    const username = status.user?.username;
    const authenticated = status.authenticated === true && Boolean(username);
    reviews.inc({ kind: "TokenReview", result: authenticated ? "authenticated" : "refused" });
    if (!authenticated) return undefined;
    const { uid, extra } = status.user ?? {};
    return {
      username: username as string,
      groups: status.user?.groups ?? [],
      ...(uid ? { uid } : {}),
      ...(extra && Object.keys(extra).length > 0 ? { extra } : {}),
    };
  }

  private remember(key: string, caller: Caller | undefined): void {
    const ttl = caller ? this.options.tokenCacheMs : REFUSED_CACHE_MS;
    keep(this.tokens, key, { caller, expires: Date.now() + ttl });
  }
}

function tokenKey(token: string): string {
  return createHash("sha256").update(token).digest("base64url");
}
