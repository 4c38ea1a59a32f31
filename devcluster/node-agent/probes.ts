import { spawn } from "node:child_process";
import { connect } from "node:net";
import { LOCAL_IP } from "./status.ts";
import type { Probe } from "./types.ts";

export interface ProbeTarget {
  /** The container's environment and working folder, for exec probes. */
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Paths and addresses in the probe's command made local, as for the container's own args. */
  rewrite: (value: string) => string;
  /** The loopback port a container port (number or name) was given. */
  port: (port: number | string) => number;
}

/** Runs one readiness check; true when it passed within the probe's timeout. */
export function runProbe(probe: Probe, target: ProbeTarget): Promise<boolean> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.exec?.command?.length)
    return execProbe(probe.exec.command.map(target.rewrite), target, timeoutMs);
  if (probe.httpGet) {
    const url = `http://${LOCAL_IP}:${target.port(probe.httpGet.port)}${probe.httpGet.path ?? "/"}`;
    return fetch(url, { redirect: "manual", signal: AbortSignal.timeout(timeoutMs) }).then(
      (res) => res.status >= 200 && res.status < 400,
      () => false,
    );
  }
  if (probe.tcpSocket) return tcpProbe(target.port(probe.tcpSocket.port), timeoutMs);
  return Promise.resolve(false);
}

function execProbe(argv: string[], target: ProbeTarget, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const [command, ...args] = argv as [string, ...string[]];
    const child = spawn(command, args, {
      cwd: target.cwd,
      env: target.env,
      stdio: "ignore",
      timeout: timeoutMs,
    });
    child.on("error", () => resolve(false));
    child.on("exit", (code) => resolve(code === 0));
  });
}

function tcpProbe(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: LOCAL_IP, port, timeout: timeoutMs });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.on("connect", () => done(true));
    socket.on("timeout", () => done(false));
    socket.on("error", () => done(false));
  });
}
