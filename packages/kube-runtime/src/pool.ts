import type { KubeConfig, RequestContext, SecurityAuthentication } from "@kubernetes/client-node";

type Dispatcher = NonNullable<ReturnType<RequestContext["getDispatcher"]>>;

/**
 * The kubeconfig's credentials on every request, and one pool of connections for all of them.
 * client-node 2.x builds a new undici Agent each time it authenticates a request: every request
 * opened its own TCP connection and TLS handshake (a client certificate's included), and no agent
 * was ever closed. Here the credentials are still applied per request (a token or an exec plugin
 * that changes is read each time), but every request goes out over the Agent client-node built for
 * the first one: the same kubeconfig's TLS and proxy settings, built once.
 */
export class ConnectionPool implements SecurityAuthentication {
  private readonly kc: KubeConfig;
  /** Set once the first request was authenticated; `dispatcher` is undefined where client-node uses fetch's own. */
  private shared: { dispatcher: Dispatcher | undefined } | undefined;

  constructor(kc: KubeConfig) {
    this.kc = kc;
  }

  getName(): string {
    return "kubeconfig authentication over a shared connection pool";
  }

  async applySecurityAuthentication(ctx: RequestContext): Promise<void> {
    await this.kc.applySecurityAuthentication(ctx);
    // The Agent just built for this request has opened nothing yet: left unused, it holds nothing.
    this.shared ??= { dispatcher: ctx.getDispatcher() };
    const { dispatcher } = this.shared;
    if (dispatcher) ctx.setDispatcher(dispatcher);
  }

  /** Closes the pooled connections once their requests have finished; a later request opens new ones. */
  async close(): Promise<void> {
    const dispatcher = this.shared?.dispatcher;
    this.shared = undefined;
    await dispatcher?.close();
  }
}
