import { type Dispatcher, getGlobalDispatcher } from "undici";
import { throwIfAborted } from "./deadline.ts";

/**
 * `dispatcher`, whose requests check `signal` once more at the last moment: when a connection is
 * about to write them. Between the client's own check and that write lie a connection, a TLS
 * handshake and several turns of fetch; a process paused there (SIGSTOP, a frozen VM) would, once it
 * resumes, send a write that its leader term no longer allows.
 */
export function fenced(dispatcher: Dispatcher | undefined, signal: AbortSignal): Dispatcher {
  return (dispatcher ?? getGlobalDispatcher()).compose(
    (dispatch) => (options, handler) => dispatch(options, fencedHandler(handler, signal)),
  );
}

function fencedHandler(handler: Dispatcher.DispatchHandler, signal: AbortSignal): Dispatcher.DispatchHandler {
  return new Proxy(handler, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property !== "onRequestStart" || typeof value !== "function") return value;
      return (controller: Dispatcher.DispatchController, context: unknown) => {
        const started = value.call(receiver, controller, context);
        try {
          throwIfAborted(signal);
        } catch (err) {
          // The connection writes nothing of an aborted request.
          controller.abort(err as Error);
        }
        return started;
      };
    },
  });
}
