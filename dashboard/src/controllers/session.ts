import type { ReactiveController, ReactiveControllerHost } from "lit";
import type { Whoami } from "../../../schema/rest.ts";
import { get } from "../api/client.ts";
import { type ApiProblem, asProblem } from "../api/problem.ts";
import { token, UNAUTHENTICATED } from "../api/token.ts";

export type SessionState = "checking" | "signed-out" | "signed-in" | "failed";

/**
 * Who is signed in and what they may do. With the api's auth off, everyone is signed in as the
 * api itself; with it on, the person pastes a Kubernetes token, which stays in this tab only.
 */
export class SessionController implements ReactiveController {
  state: SessionState = "checking";
  whoami: Whoami | undefined;
  /** Why the api could not be asked. */
  problem: ApiProblem | undefined;
  /** Why the person is signed out, for the sign-in form: a refused or expired token. */
  notice: string | undefined;
  private readonly host: ReactiveControllerHost;
  private readonly onRefused = () =>
    this.signOut("The api refused the token: it expired or was revoked. Sign in again.");

  constructor(host: ReactiveControllerHost) {
    this.host = host;
    host.addController(this);
  }

  hostConnected(): void {
    window.addEventListener(UNAUTHENTICATED, this.onRefused);
    void this.check();
  }

  hostDisconnected(): void {
    window.removeEventListener(UNAUTHENTICATED, this.onRefused);
  }

  signIn(value: string): Promise<void> {
    token.set(value.trim());
    return this.check();
  }

  signOut(notice?: string): void {
    token.clear();
    this.whoami = undefined;
    this.problem = undefined;
    this.notice = notice;
    this.state = "signed-out";
    this.host.requestUpdate();
  }

  /** Asks the api who the token belongs to; also after an action, since RBAC may have changed. */
  async check(): Promise<void> {
    const hadToken = token.get() !== undefined;
    try {
      this.whoami = await get<Whoami>("/api/v1/whoami");
      this.state = "signed-in";
      this.problem = undefined;
      this.notice = undefined;
    } catch (err) {
      const problem = asProblem(err);
      this.whoami = undefined;
      if (problem.status === 401) {
        token.clear();
        this.state = "signed-out";
        this.notice = hadToken ? problem.message : undefined;
      } else {
        this.state = "failed";
        this.problem = problem;
      }
    }
    this.host.requestUpdate();
  }
}
