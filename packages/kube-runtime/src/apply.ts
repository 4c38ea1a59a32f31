import { PatchStrategy } from "@kubernetes/client-node";
import { type ClusterClient, statusCode } from "./client.ts";
import type { ReconcileResult } from "./controller.ts";
import { sameQuantity } from "./quantity.ts";
import type { Resource } from "./store.ts";

/** The signal of the reconcile a request is part of: it is not sent, or is cut off, once that aborts. */
export interface SignalOption {
  signal?: AbortSignal;
}

export interface ApplyOptions extends SignalOption {
  /** Take over fields another manager owns (default true: the operator is the authority on what it renders). */
  force?: boolean;
  /** The client's own field manager when omitted. */
  fieldManager?: string;
}

/** Server-side apply of `obj`; returns the live object. */
export async function apply<T extends Resource>(
  client: ClusterClient,
  obj: T,
  options: ApplyOptions = {},
): Promise<T> {
  return client.request<T>("PATCH", await client.objects.pathOf(obj), applyRequest(client, obj, options));
}

/** Server-side apply of `obj.status` through the status subresource; returns the live object. */
export async function applyStatus<T extends Resource>(
  client: ClusterClient,
  obj: T,
  options: ApplyOptions = {},
): Promise<T> {
  const path = await client.objects.pathOf(obj, { subresource: "status" });
  return client.request<T>("PATCH", path, applyRequest(client, obj, options));
}

function applyRequest(client: ClusterClient, obj: Resource, options: ApplyOptions) {
  return {
    signal: options.signal,
    body: obj,
    contentType: PatchStrategy.ServerSideApply,
    query: {
      fieldManager: options.fieldManager ?? client.identity.fieldManager,
      force: options.force ?? true,
    },
  };
}

/** The live object, or undefined when there is none. */
export async function getIfExists<T extends Resource>(
  client: ClusterClient,
  obj: Resource,
  options: SignalOption = {},
): Promise<T | undefined> {
  try {
    return await client.request<T>("GET", await client.objects.pathOf(obj), { signal: options.signal });
  } catch (err) {
    if (statusCode(err) === 404) return undefined;
    throw err;
  }
}

/**
 * Creates the object unless one of its name exists; returns whether it created it. For objects
 * that are made once and never changed (a Pod), where an apply would compare a whole spec to
 * change nothing: the API server's unique names, not a cache, keep it to one.
 */
export async function createIfAbsent(
  client: ClusterClient,
  obj: Resource,
  options: SignalOption = {},
): Promise<boolean> {
  const path = await client.objects.pathOf(obj);
  try {
    await client.request("POST", path.slice(0, path.lastIndexOf("/")), {
      signal: options.signal,
      body: obj,
      query: { fieldManager: client.identity.fieldManager },
    });
    return true;
  } catch (err) {
    if (statusCode(err) === 409) return false;
    throw err;
  }
}

/**
 * Deletes the object; false when it was already gone. With `uid`, only that very object: one
 * deleted and created again under the same name meanwhile is left alone (false as well).
 */
export async function deleteIfExists(
  client: ClusterClient,
  obj: Resource,
  options: {
    propagationPolicy?: "Background" | "Foreground" | "Orphan";
    uid?: string;
    /** Only the object as it was at this version: one changed meanwhile is left alone (false). */
    resourceVersion?: string;
    /** 0 removes a pod whose kubelet never confirms its end (its node is lost) at once. */
    gracePeriodSeconds?: number;
  } & SignalOption = {},
): Promise<boolean> {
  try {
    await client.request("DELETE", await client.objects.pathOf(obj), {
      signal: options.signal,
      body: {
        propagationPolicy: options.propagationPolicy ?? "Background",
        ...(options.uid || options.resourceVersion
          ? {
              preconditions: {
                ...(options.uid ? { uid: options.uid } : {}),
                ...(options.resourceVersion ? { resourceVersion: options.resourceVersion } : {}),
              },
            }
          : {}),
        ...(options.gracePeriodSeconds !== undefined
          ? { gracePeriodSeconds: options.gracePeriodSeconds }
          : {}),
      },
    });
    return true;
  } catch (err) {
    const code = statusCode(err);
    if (code === 404 || ((options.uid || options.resourceVersion) && code === 409)) return false;
    throw err;
  }
}

/**
 * True unless every field of `desired` is present in `live` with an equal value: an apply would
 * change nothing, so a resync of an unchanged world writes nothing. Arrays match element by element
 * and must have the same length; null in `desired` matches an absent field. Equal means equal once
 * the server has canonicalised: a quantity matches any spelling of the same value, and an env var's
 * empty value matches an absent one.
 */
export function needsApply(desired: unknown, live: unknown): boolean {
  return !isSubset(desired, live);
}

/** Fields whose values are maps of resource names to quantities (containers, claims, quotas, pods). */
const QUANTITY_MAPS = new Set(["requests", "limits", "hard", "overhead"]);
/** Fields that are a quantity themselves (an emptyDir's size). */
const QUANTITY_FIELDS = new Set(["sizeLimit"]);

/**
 * `field` names the field that holds `desired` (array elements share their array's), `parent` the
 * one that holds that: a quantity is known by where it lives, never by how it looks, so a ConfigMap
 * value "1000m" still differs from "1".
 */
function isSubset(desired: unknown, live: unknown, field?: string, parent?: string): boolean {
  if (desired === undefined) return true;
  if (desired === null) return live === null || live === undefined;
  if (Array.isArray(desired)) {
    if (live === undefined) return desired.length === 0;
    return (
      Array.isArray(live) &&
      live.length === desired.length &&
      desired.every((d, i) => isSubset(d, live[i], field, parent))
    );
  }
  if (typeof desired === "object") {
    // The server drops empty maps, so an absent field matches an object with nothing set.
    if (live !== undefined && (typeof live !== "object" || live === null || Array.isArray(live)))
      return false;
    const liveObj = (live ?? {}) as Record<string, unknown>;
    return Object.entries(desired).every(([k, v]) => {
      // EnvVar's value is omitempty: the server stores "" as no value at all.
      if (field === "env" && k === "value" && v === "") return liveObj[k] === undefined || liveObj[k] === "";
      return isSubset(v, liveObj[k], k, field);
    });
  }
  if (desired === live) return true;
  const quantity = QUANTITY_FIELDS.has(field ?? "") || QUANTITY_MAPS.has(parent ?? "");
  return quantity && isQuantityLike(desired) && isQuantityLike(live) && sameQuantity(desired, live);
}

function isQuantityLike(value: unknown): value is string | number {
  return typeof value === "string" || typeof value === "number";
}

export interface FinalizerHandlers<T> {
  /** The normal reconcile; runs once the finalizer is on the object. */
  apply(obj: T): Promise<ReconcileResult>;
  /**
   * Runs when the object is being deleted. Returning undefined means cleanup is complete and the
   * finalizer is removed; returning a requeue keeps it (e.g. while children are still terminating).
   */
  cleanup(obj: T): Promise<ReconcileResult>;
}

/**
 * kube-rs's finalizer helper: adds `name` to the object before `apply` runs (only if missing), and
 * on deletion runs `cleanup` and then removes `name`. Both edits are JSON patches that test the
 * finalizer list first, so a concurrent change makes them fail and the reconcile retry.
 */
export async function finalizer<T extends Resource>(
  client: ClusterClient,
  obj: T,
  name: string,
  handlers: FinalizerHandlers<T>,
  options: SignalOption = {},
): Promise<ReconcileResult> {
  const finalizers = obj.metadata?.finalizers ?? [];
  const index = finalizers.indexOf(name);
  if (obj.metadata?.deletionTimestamp) {
    if (index < 0) return undefined;
    const result = await handlers.cleanup(obj);
    if (result?.requeueAfterMs !== undefined) return result;
    await jsonPatch(
      client,
      obj,
      [
        { op: "test", path: `/metadata/finalizers/${index}`, value: name },
        { op: "remove", path: `/metadata/finalizers/${index}` },
      ],
      options,
    );
    return undefined;
  }
  if (index >= 0) return handlers.apply(obj);
  const added = await jsonPatch(
    client,
    obj,
    finalizers.length === 0
      ? [
          { op: "test", path: "/metadata/finalizers", value: null },
          { op: "add", path: "/metadata/finalizers", value: [name] },
        ]
      : [
          { op: "test", path: "/metadata/finalizers", value: finalizers },
          { op: "add", path: "/metadata/finalizers/-", value: name },
        ],
    options,
  );
  return handlers.apply(added);
}

async function jsonPatch<T extends Resource>(
  client: ClusterClient,
  obj: T,
  ops: unknown[],
  options: SignalOption,
): Promise<T> {
  return client.request<T>("PATCH", await client.objects.pathOf(obj), {
    signal: options.signal,
    body: ops,
    contentType: PatchStrategy.JsonPatch,
  });
}
