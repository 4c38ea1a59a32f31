import type https from "node:https";
import {
  ApiException,
  AppsV1Api,
  type Configuration,
  CoordinationV1Api,
  CoreV1Api,
  createConfiguration,
  EventsV1Api,
  type HttpLibrary,
  HttpMethod,
  KubeConfig,
  KubernetesObjectApi,
  Observable,
  type RequestContext,
  type ResponseContext,
  ServerConfiguration,
  setHeaderMiddleware,
  VersionApi,
  Watch,
} from "@kubernetes/client-node";
import { ConnectionPool } from "./connection-pool.ts";
import { throwIfAborted } from "./deadline.ts";
import { KubeError, KubeUnreachable } from "./errors.ts";
import { fenced } from "./fence.ts";
import { ImpersonatingTransport, type Impersonation } from "./impersonation.ts";
import { parseJson } from "./json.ts";
import { type RuntimeMetrics, unservedMetrics } from "./metrics.ts";
import type { Resource } from "./store.ts";
import { undiciHttpLibrary } from "./transport.ts";
import { readWatchLines } from "./watch-stream.ts";

export type Verb = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** Content-Type of the body: a patch type for PATCH; JSON otherwise. */
  contentType?: string;
  /** Gives up on a request the server does not answer; a list of a large collection needs more. */
  timeoutMs?: number;
  /** Acts as this user and these groups, whose RBAC the API server applies; the kubeconfig's identity when omitted. */
  as?: Impersonation;
  /**
   * Aborts the request, and refuses to send it once aborted: a reconcile passes its own, so that a
   * replica that lost its Lease neither starts a write nor waits for one.
   */
  signal?: AbortSignal;
}

export interface WatchOptions {
  /** Watches as this user and these groups; the kubeconfig's identity when omitted. */
  as?: Impersonation;
}

/** Told of every request a client sends: its HTTP verb (WATCH for a watch) and status code, `error` when no answer came. */
export type RequestObserver = (request: { verb: string; code: string }) => void;

/** Who a client says it is, and where it counts its requests. */
export interface ClientIdentity {
  /** Sent as User-Agent, so that the API server's audit log tells the processes apart. */
  userAgent: string;
  /** The field manager of server-side applies made through this client. */
  fieldManager: string;
  metrics: RuntimeMetrics;
  /** Instead of counting requests in `metrics`, tell this observer (a process with metrics of its own). */
  observe?: RequestObserver;
}

/** What a caller may leave out of a client's identity: defaults to the runtime's own names. */
type IdentityOptions = Partial<ClientIdentity>;

const DEFAULT_NAME = "kube-runtime";

function identityOf(options: IdentityOptions): ClientIdentity {
  return {
    ...options,
    userAgent: options.userAgent ?? DEFAULT_NAME,
    fieldManager: options.fieldManager ?? DEFAULT_NAME,
    metrics: options.metrics ?? unservedMetrics(),
  };
}

export type WatchEventCallback = (type: string, object: unknown) => void;

/** Everything the runtime needs to talk to one cluster; every request it makes is counted by verb and code. */
export interface ClusterClient {
  readonly name: string;
  /** Its user agent, field manager and metrics: a client for another cluster can take the same. */
  readonly identity: ClientIdentity;
  readonly kc: KubeConfig;
  readonly objects: ObjectApi;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly coordination: CoordinationV1Api;
  readonly events: EventsV1Api;
  readonly version: VersionApi;
  /**
   * A request whose answer is the plain JSON the server sent (typed APIs turn timestamps into
   * Dates). An error status throws KubeError, no answer KubeUnreachable.
   */
  request<T>(verb: Verb, path: string, options?: RequestOptions): Promise<T>;
  /** A GET whose plain-text answer is returned as it is, such as a pod's log; it fails as `request` does. */
  text(path: string, options?: RequestOptions): Promise<string>;
  /** Starts a watch on a collection path; `done` gets the error that ended it, or null on a clean close. */
  watch(
    path: string,
    query: Query,
    onEvent: WatchEventCallback,
    done: (err: unknown) => void,
    inactivityTimeoutMs: number,
    options?: WatchOptions,
  ): Promise<AbortController>;
  /**
   * Closes the client's pooled connections (requests and typed APIs share one pool, those that
   * impersonate another) once their requests have finished; watches end with their informers.
   */
  close(): Promise<void>;
}

/** KubernetesObjectApi that also tells the REST path of any object, from its cached discovery. */
export class ObjectApi extends KubernetesObjectApi {
  constructor(configuration: Configuration, kc: KubeConfig) {
    super(configuration);
    this.setDefaultNamespace(kc);
  }

  /** `/api/v1/namespaces/ns/configmaps/name`, or the path of one of its subresources. */
  async pathOf(obj: Resource, options: { subresource?: string } = {}): Promise<string> {
    // specUriPath fills in defaults on the object it is given; hand it a copy of the identifying fields.
    const header = {
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      metadata: { name: obj.metadata?.name, namespace: obj.metadata?.namespace },
    };
    const path = await this.specUriPath(header, "read");
    return options.subresource ? `${path}/${options.subresource}` : path;
  }
}

function loadedClient(
  load: (kc: KubeConfig) => void,
  name: string,
  identity: IdentityOptions,
): ClusterClient {
  const kc = new KubeConfig();
  load(kc);
  return clientFromKubeConfig(kc, name, identity);
}

/** In a pod, its ServiceAccount; elsewhere $KUBECONFIG or ~/.kube/config, as kubectl does. */
export function defaultClient(name: string, identity: IdentityOptions = {}): ClusterClient {
  return loadedClient((kc) => kc.loadFromDefault(), name, identity);
}

export function clientFromKubeconfigFile(path: string, name: string, identity: IdentityOptions = {}) {
  return loadedClient((kc) => kc.loadFromFile(path), name, identity);
}

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * `name` labels the client's metrics and logs (e.g. "local", "org:acme"); `timeoutMs` is the
 * deadline of every request that names none, those of the typed APIs included.
 */
export function clientFromKubeConfig(
  kc: KubeConfig,
  name: string,
  { timeoutMs = DEFAULT_TIMEOUT_MS, ...options }: IdentityOptions & { timeoutMs?: number } = {},
): ClusterClient {
  const identity = identityOf(options);
  const { userAgent, metrics } = identity;
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`kubeconfig for ${name} has no current cluster`);
  const observe: RequestObserver =
    identity.observe ?? (({ verb, code }) => metrics.apiRequests.inc({ cluster: name, verb, code }));
  const baseServer = new ServerConfiguration(cluster.server, {});
  const pool = new ConnectionPool();

  /**
   * client-node's applySecurityAuthentication, but for the connection: the kubeconfig's credentials
   * and TLS material are read for every request, as client-node does, and the connections come from
   * this client's pool. A proxy in the kubeconfig keeps client-node's own dispatcher.
   */
  async function authenticate(ctx: RequestContext): Promise<void> {
    if (cluster?.proxyUrl) return kc.applySecurityAuthentication(ctx);
    const https: https.RequestOptions = {};
    // Public, unlike the applyOptions behind it; the https.Agent it also builds is never used.
    await kc.applyToHTTPSOptions(https);
    if (https.auth)
      ctx.setHeaderParam("Authorization", `Basic ${Buffer.from(https.auth).toString("base64")}`);
    for (const [name, value] of Object.entries(https.headers ?? {})) ctx.setHeaderParam(name, `${value}`);
    const { ca, cert, key, rejectUnauthorized, servername } = https;
    ctx.setDispatcher(pool.for({ ca, cert, key, rejectUnauthorized, servername }));
  }

  const authMethods = {
    default: { getName: () => "kubeconfig, pooled connections", applySecurityAuthentication: authenticate },
  };
  const transport = countingHttpLibrary(withDeadline(undiciHttpLibrary(), timeoutMs), observe);
  const impersonating = new ImpersonatingTransport(kc);
  const configuration = createConfiguration({
    baseServer,
    authMethods,
    httpApi: transport,
    middleware: [setHeaderMiddleware("User-Agent", userAgent)],
  });

  /** A raw request ready to send: its headers, query, body, deadline and the kubeconfig's credentials. */
  async function prepare(verb: Verb, path: string, options: RequestOptions): Promise<RequestContext> {
    const ctx = baseServer.makeRequestContext(path, HttpMethod[verb]);
    ctx.setHeaderParam("Accept", "application/json");
    ctx.setHeaderParam("User-Agent", userAgent);
    for (const [k, v] of Object.entries(options.query ?? {})) {
      if (v !== undefined) ctx.setQueryParam(k, String(v));
    }
    if (options.body !== undefined) {
      ctx.setHeaderParam("Content-Type", options.contentType ?? "application/json");
      ctx.setBody(JSON.stringify(options.body));
    }
    const deadline = AbortSignal.timeout(options.timeoutMs ?? timeoutMs);
    ctx.setSignal(options.signal ? AbortSignal.any([options.signal, deadline]) : deadline);
    await authenticate(ctx);
    if (options.signal) ctx.setDispatcher(fenced(ctx.getDispatcher(), options.signal));
    return ctx;
  }

  /**
   * Sends a prepared request; one that impersonates goes out over HTTP/1.1 (impersonation.ts). An
   * aborted `signal` is checked last, after everything that awaits, and is its reason when it fails.
   */
  function send(ctx: RequestContext, options: RequestOptions): Promise<ResponseContext> {
    const { as, signal } = options;
    throwIfAborted(signal);
    const via = as
      ? countingHttpLibrary({ send: (c) => new Observable(impersonating.send(c, as)) }, observe)
      : transport;
    return via
      .send(ctx)
      .toPromise()
      .catch((err: unknown) => {
        if (signal?.aborted) throw signal.reason;
        throw new KubeUnreachable(err);
      });
  }

  /** The body of a 2xx answer; any other status throws KubeError. */
  async function exchange(verb: Verb, path: string, options: RequestOptions): Promise<string> {
    const response = await send(await prepare(verb, path, options), options);
    const text = await response.body.text().catch((err: unknown) => {
      if (options.signal?.aborted) throw options.signal.reason;
      throw err;
    });
    if (response.httpStatusCode < 200 || response.httpStatusCode > 299) {
      throw new KubeError(`${verb} ${path}`, response.httpStatusCode, text, response.headers);
    }
    return text;
  }

  async function request<T>(verb: Verb, path: string, options: RequestOptions = {}): Promise<T> {
    const text = await exchange(verb, path, options);
    return (text ? parseJson(text) : undefined) as T;
  }

  function text(path: string, options: RequestOptions = {}): Promise<string> {
    return exchange("GET", path, options);
  }

  async function watch(
    path: string,
    query: Query,
    onEvent: WatchEventCallback,
    done: (err: unknown) => void,
    inactivityTimeoutMs: number,
    options: WatchOptions = {},
  ): Promise<AbortController> {
    if (options.as) return watchAs(options.as, path, query, onEvent, done, inactivityTimeoutMs);
    const w = new Watch(kc);
    // client-node aborts a watch that received nothing for 30 s. A quiet collection is normal (bookmarks
    // come about once a minute); the informer's watchdog decides when silence is a fault.
    Reflect.set(w, "requestTimeoutMs", inactivityTimeoutMs);
    let failure: unknown;
    const controller = await w.watch(path, query, onEvent, (err) => {
      failure ??= err ?? null;
      done(err);
    });
    observe({ verb: "WATCH", code: watchCode(failure) });
    return controller;
  }

  /** A watch that impersonates: one request streamed over HTTP/1.1, as `watch` promises it. */
  async function watchAs(
    as: Impersonation,
    path: string,
    query: Query,
    onEvent: WatchEventCallback,
    done: (err: unknown) => void,
    inactivityTimeoutMs: number,
  ): Promise<AbortController> {
    const controller = new AbortController();
    const ctx = await prepare("GET", path, { query: { ...query, watch: true } });
    ctx.setSignal(controller.signal);
    let response: ResponseContext;
    try {
      response = await impersonating.send(ctx, as);
    } catch (err) {
      observe({ verb: "WATCH", code: "error" });
      done(new KubeUnreachable(err));
      return controller;
    }
    observe({ verb: "WATCH", code: String(response.httpStatusCode) });
    if (response.httpStatusCode < 200 || response.httpStatusCode > 299) {
      const text = await response.body.text().catch(() => "");
      done(new KubeError(`WATCH ${path}`, response.httpStatusCode, text, response.headers));
      return controller;
    }
    const onLine = (line: string) => {
      const event = parseJson(line) as { type?: string; object?: unknown } | string;
      if (typeof event === "object" && event.type && event.object) onEvent(event.type, event.object);
    };
    readWatchLines(response.body.stream(), onLine, done, inactivityTimeoutMs, controller);
    return controller;
  }

  return {
    name,
    identity,
    kc,
    objects: new ObjectApi(configuration, kc),
    core: new CoreV1Api(configuration),
    apps: new AppsV1Api(configuration),
    coordination: new CoordinationV1Api(configuration),
    events: new EventsV1Api(configuration),
    version: new VersionApi(configuration),
    request,
    text,
    watch,
    close: async () => {
      await Promise.all([impersonating.close(), pool.close()]);
    },
  };
}

/**
 * client-node's typed APIs, and the discovery behind `objects.pathOf`, send without a deadline: a
 * server that takes the connection and never answers would hold their callers for ever.
 */
function withDeadline(inner: HttpLibrary, timeoutMs: number): HttpLibrary {
  return {
    send(ctx) {
      if (!ctx.getSignal()) ctx.setSignal(AbortSignal.timeout(timeoutMs));
      return inner.send(ctx);
    },
  };
}

function countingHttpLibrary(inner: HttpLibrary, observe: RequestObserver): HttpLibrary {
  return {
    send(ctx) {
      const verb = ctx.getHttpMethod();
      const count = (code: string) => observe({ verb, code });
      const sent = inner.send(ctx).toPromise();
      return new Observable(
        sent.then(
          (response) => {
            count(String(response.httpStatusCode));
            return response;
          },
          (err: unknown) => {
            count("error");
            throw err;
          },
        ),
      );
    },
  };
}

/** The status of a watch request as far as it is known when the stream opens. */
function watchCode(failure: unknown): string {
  if (failure === undefined || failure === null) return "200";
  const code = (failure as { statusCode?: number }).statusCode;
  return code === undefined ? "error" : String(code);
}

/** The HTTP status of a failed API call, or undefined when the request never got an answer. */
export function statusCode(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  const code = (err as { statusCode?: unknown; code?: unknown } | null)?.statusCode;
  return typeof code === "number" ? code : undefined;
}
