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
  ServerConfiguration,
  setHeaderMiddleware,
  VersionApi,
  Watch,
} from "@kubernetes/client-node";
import { type RuntimeMetrics, unservedMetrics } from "./metrics.ts";
import type { Resource } from "./store.ts";

/** Who a client says it is, and where it counts its requests. */
export interface ClientIdentity {
  /** The User-Agent of every request. */
  userAgent: string;
  /** The field manager of server-side applies made through this client. */
  fieldManager: string;
  metrics: RuntimeMetrics;
}

const DEFAULT_NAME = "kube-runtime";

function identityOf(options: Partial<ClientIdentity>): ClientIdentity {
  return {
    userAgent: options.userAgent ?? DEFAULT_NAME,
    fieldManager: options.fieldManager ?? DEFAULT_NAME,
    metrics: options.metrics ?? unservedMetrics(),
  };
}

export type Verb = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** Content-Type of the body: a patch type for PATCH; JSON otherwise. */
  contentType?: string;
  /** Gives up on a request the server does not answer; a list of a large collection needs more. */
  timeoutMs?: number;
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
  /** A request whose answer is the plain JSON the server sent (typed APIs turn timestamps into Dates). */
  request<T>(verb: Verb, path: string, options?: RequestOptions): Promise<T>;
  /** Starts a watch on a collection path; `done` gets the error that ended it, or null on a clean close. */
  watch(
    path: string,
    query: Query,
    onEvent: WatchEventCallback,
    done: (err: unknown) => void,
    inactivityTimeoutMs: number,
  ): Promise<AbortController>;
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

/** What a caller may leave out of a client's identity: defaults to the runtime's own names. */
type IdentityOptions = Partial<ClientIdentity>;

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

export function clientFromKubeconfigYaml(yaml: string, name: string, identity: IdentityOptions = {}) {
  return loadedClient((kc) => kc.loadFromString(yaml), name, identity);
}

/** `name` labels the client's metrics and logs (e.g. "local", "org:acme"). */
export function clientFromKubeConfig(
  kc: KubeConfig,
  name: string,
  options: IdentityOptions = {},
): ClusterClient {
  const identity = identityOf(options);
  const { userAgent, metrics } = identity;
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error(`kubeconfig for ${name} has no current cluster`);
  const baseServer = new ServerConfiguration(cluster.server, {});
  const authMethods = { default: kc };
  const transport = countingHttpLibrary(createConfiguration({ baseServer }).httpApi, name, metrics);
  const configuration = createConfiguration({
    baseServer,
    authMethods,
    httpApi: transport,
    middleware: [setHeaderMiddleware("User-Agent", userAgent)],
  });

  async function request<T>(verb: Verb, path: string, options: RequestOptions = {}): Promise<T> {
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
    ctx.setSignal(AbortSignal.timeout(options.timeoutMs ?? 30_000));
    await kc.applySecurityAuthentication(ctx);
    const response = await transport.send(ctx).toPromise();
    const text = await response.body.text();
    const parsed = text ? parseJson(text) : undefined;
    if (response.httpStatusCode < 200 || response.httpStatusCode > 299) {
      const message = (parsed as { message?: string } | undefined)?.message ?? text;
      throw new ApiException(
        response.httpStatusCode,
        `${verb} ${path}: ${message}`,
        parsed,
        response.headers,
      );
    }
    return parsed as T;
  }

  async function watch(
    path: string,
    query: Query,
    onEvent: WatchEventCallback,
    done: (err: unknown) => void,
    inactivityTimeoutMs: number,
  ): Promise<AbortController> {
    const w = new Watch(kc);
    // client-node aborts a watch that received nothing for 30 s. A quiet collection is normal (bookmarks
    // come about once a minute); the informer's watchdog decides when silence is a fault.
    Reflect.set(w, "requestTimeoutMs", inactivityTimeoutMs);
    let failure: unknown;
    const controller = await w.watch(path, query, onEvent, (err) => {
      failure ??= err ?? null;
      done(err);
    });
    metrics.apiRequests.inc({ cluster: name, verb: "WATCH", code: watchCode(failure) });
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
    watch,
  };
}

function countingHttpLibrary(inner: HttpLibrary, cluster: string, metrics: RuntimeMetrics): HttpLibrary {
  return {
    send(ctx) {
      const verb = ctx.getHttpMethod();
      const count = (code: string) => metrics.apiRequests.inc({ cluster, verb, code });
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

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The HTTP status of a failed API call, or undefined when the request never got an answer. */
export function statusCode(err: unknown): number | undefined {
  if (err instanceof ApiException) return err.code;
  const code = (err as { statusCode?: unknown; code?: unknown } | null)?.statusCode;
  return typeof code === "number" ? code : undefined;
}
