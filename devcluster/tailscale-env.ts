import { existsSync } from "node:fs";

/**
 * A port on 127.0.0.1 nothing listens on (only root may bind below 1024): tailscaled's proxies
 * point here, so that whatever it would send to the internet fails on this machine instead.
 */
export const DEAD_PROXY = "http://127.0.0.1:9";

/** A unix socket's path must fit in sun_path (108 bytes on Linux, with its NUL). */
export const MAX_SOCKET_PATH = 107;

/**
 * The environment Tailscale's integration tests give tailscaled (tstest/integration daemonEnv):
 * no port mapping, the network taken as up, the captive-portal check against the local control
 * server, no log uploads, and proxies that lead nowhere, so that nothing leaves 127.0.0.0/8.
 */
export function tailscaledEnv(controlUrl: string, logsDir: string): NodeJS.ProcessEnv {
  return {
    TS_NETCHECK_GENERATE_204_URL: `${controlUrl}/generate_204`,
    TS_ASSUME_NETWORK_UP_FOR_TEST: "1",
    TS_PANIC_IF_HIT_MAIN_CONTROL: "1",
    TS_DISABLE_PORTMAPPER: "1",
    TS_NO_LOGS_NO_SUPPORT: "1",
    TS_LOGS_DIR: logsDir,
    HTTP_PROXY: DEAD_PROXY,
    HTTPS_PROXY: DEAD_PROXY,
    http_proxy: DEAD_PROXY,
    https_proxy: DEAD_PROXY,
  };
}

/** tailscaled's flags for a node in the local tailnet: netstack, its own state and socket, a random UDP port. */
export function tailscaledArgs(options: { stateDir: string; socket: string; socks5?: string }): string[] {
  if (options.socket.length > MAX_SOCKET_PATH) {
    throw new Error(
      `tailscaled's socket path is too long for a unix socket (${options.socket.length} > ${MAX_SOCKET_PATH} bytes): ${options.socket}`,
    );
  }
  return [
    "--tun=userspace-networking",
    `--statedir=${options.stateDir}`,
    `--socket=${options.socket}`,
    "--port=0",
    ...(options.socks5 ? [`--socks5-server=${options.socks5}`] : []),
  ];
}

/** Whether tailscaled's socket exists yet (it is made once the daemon listens). */
export function socketReady(socket: string): boolean {
  return existsSync(socket);
}
