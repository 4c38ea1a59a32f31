import { ApiProblem, type ProblemBody, unreachable } from "./problem.ts";
import { token, UNAUTHENTICATED } from "./token.ts";

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export function authHeaders(): Record<string, string> {
  const value = token.get();
  return value ? { authorization: `Bearer ${value}` } : {};
}

/** Turns a refused answer into the problem it carries; a 401 also signs the person out. */
export async function problemOf(res: Response): Promise<ApiProblem> {
  const body = (await res.json().catch(() => undefined)) as ProblemBody | undefined;
  if (res.status === 401) window.dispatchEvent(new Event(UNAUTHENTICATED));
  return new ApiProblem({ ...body, status: res.status, title: body?.title ?? res.statusText });
}

/** One call to the api, as the signed-in person. Resolves with the JSON answer; rejects with an ApiProblem. */
export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = {
    accept: "application/json",
    ...authHeaders(),
    ...options.headers,
  };
  if (options.body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (err) {
    if (options.signal?.aborted) throw err;
    throw unreachable(err);
  }
  if (!res.ok) throw await problemOf(res);
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const get = <T>(path: string, signal?: AbortSignal) =>
  request<T>("GET", path, signal ? { signal } : {});

/** `/api/v1/tasks/<ns>/<name>` and its sub-paths, with every segment escaped. */
export function taskUrl(namespace: string, name: string, sub = ""): string {
  return `/api/v1/tasks/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}${sub}`;
}
