/**
 * The parts of any Kubernetes object the runtime reads. Structural, so client-node's models and
 * the zod-derived custom resource types both fit; timestamps may be strings or Dates.
 */
export interface Resource {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    finalizers?: string[];
    deletionTimestamp?: string | Date;
    ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string }[];
  };
}

export type EventType = "ADDED" | "MODIFIED" | "DELETED";
export type Indexer<T> = (obj: T) => string[];

export interface Change<T> {
  type: EventType;
  obj: T;
  old?: T;
}

/** "namespace/name", or "name" for cluster-scoped objects: the key a work queue holds. */
export function objectKey(obj: Resource): string {
  const { namespace, name } = obj.metadata ?? {};
  return namespace ? `${namespace}/${name}` : `${name}`;
}

export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const slash = key.indexOf("/");
  return slash < 0
    ? { namespace: undefined, name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

export const NAMESPACE_INDEX = "namespace";

/**
 * The informer's cache: objects by key plus secondary indexes. Objects are frozen, so a handler or
 * reconciler that edits a cached object fails loudly instead of corrupting what others read.
 */
export class Store<T extends Resource> {
  private readonly objects = new Map<string, T>();
  private readonly indexers: Record<string, Indexer<T>>;
  private readonly indexes = new Map<string, Map<string, Set<string>>>();

  constructor(indexers: Record<string, Indexer<T>> = {}) {
    this.indexers = { ...indexers, [NAMESPACE_INDEX]: (o) => [o.metadata?.namespace ?? ""] };
    for (const name of Object.keys(this.indexers)) this.indexes.set(name, new Map());
  }

  get(key: string): T | undefined {
    return this.objects.get(key);
  }

  /** Adds an index, built at once from what the store holds; a name means one indexer. */
  addIndexer(name: string, indexer: Indexer<T>): void {
    const known = this.indexers[name];
    if (known === indexer) return;
    if (known) throw new Error(`the index ${name} exists with another indexer`);
    this.indexers[name] = indexer;
    this.indexes.set(name, new Map());
    for (const [key, obj] of this.objects) this.index(name, indexer, key, obj);
  }

  keys(): string[] {
    return [...this.objects.keys()];
  }

  values(): T[] {
    return [...this.objects.values()];
  }

  byIndex(index: string, value: string): T[] {
    const values = this.indexes.get(index);
    if (!values) throw new Error(`no index named ${index}`);
    return [...(values.get(value) ?? [])].map((k) => this.objects.get(k) as T);
  }

  /** Records one watch event; the change to tell handlers about, if any. */
  apply(type: EventType, incoming: T): Change<T> | undefined {
    const obj = deepFreeze(incoming);
    const key = objectKey(obj);
    const old = this.objects.get(key);
    if (type === "DELETED") {
      if (!old) return undefined;
      this.remove(key, old);
      return { type, obj };
    }
    this.put(key, obj, old);
    return old ? { type: "MODIFIED", obj, old } : { type: "ADDED", obj };
  }

  /** Replaces everything with a fresh list; the changes are what a watch would have shown meanwhile. */
  replace(items: T[]): Change<T>[] {
    const changes: Change<T>[] = [];
    const seen = new Set<string>();
    for (const incoming of items) {
      const obj = deepFreeze(incoming);
      const key = objectKey(obj);
      seen.add(key);
      const old = this.objects.get(key);
      if (old && old.metadata?.resourceVersion === obj.metadata?.resourceVersion) continue;
      this.put(key, obj, old);
      changes.push(old ? { type: "MODIFIED", obj, old } : { type: "ADDED", obj });
    }
    for (const [key, old] of [...this.objects]) {
      if (seen.has(key)) continue;
      this.remove(key, old);
      changes.push({ type: "DELETED", obj: old });
    }
    return changes;
  }

  private put(key: string, obj: T, old: T | undefined): void {
    if (old) this.unindex(key, old);
    this.objects.set(key, obj);
    for (const [name, indexer] of Object.entries(this.indexers)) this.index(name, indexer, key, obj);
  }

  private index(name: string, indexer: Indexer<T>, key: string, obj: T): void {
    const values = this.indexes.get(name) as Map<string, Set<string>>;
    for (const value of indexer(obj)) {
      const keys = values.get(value);
      if (keys) keys.add(key);
      else values.set(value, new Set([key]));
    }
  }

  private remove(key: string, old: T): void {
    this.unindex(key, old);
    this.objects.delete(key);
  }

  private unindex(key: string, old: T): void {
    for (const [name, indexer] of Object.entries(this.indexers)) {
      const values = this.indexes.get(name) as Map<string, Set<string>>;
      for (const value of indexer(old)) {
        const keys = values.get(value);
        keys?.delete(key);
        if (keys?.size === 0) values.delete(value);
      }
    }
  }
}

/** Index by the value of one label, e.g. `byLabel("agentyard.dev/org")`. */
export function byLabel<T extends Resource>(label: string): Indexer<T> {
  return (o) => {
    const value = o.metadata?.labels?.[label];
    return value === undefined ? [] : [value];
  };
}

/** Index by the uid of every owner, so the children of an object are one lookup away. */
export function byOwnerUid<T extends Resource>(): Indexer<T> {
  return (o) => (o.metadata?.ownerReferences ?? []).map((r) => r.uid);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
