import type { LitElement } from "lit";
import { vi } from "vitest";
import type { AgentTask } from "../../schema/index.ts";

/** Renders an element into the document and waits until it and the elements inside it have rendered. */
export async function mount<T extends LitElement>(tag: string, props: Partial<T> = {}): Promise<T> {
  const el = document.createElement(tag) as T;
  Object.assign(el, props);
  document.body.append(el);
  await settle(el);
  return el;
}

export async function settle(el: LitElement): Promise<void> {
  for (let round = 0; round < 5; round++) {
    await el.updateComplete;
    const inner = Array.from(el.shadowRoot?.querySelectorAll("*") ?? []).filter(
      (child): child is LitElement => "updateComplete" in child,
    );
    await Promise.all(inner.map((child) => settle(child)));
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/** Looks through shadow roots, as a person's eyes do. */
export function find(root: Element | ShadowRoot, selector: string): HTMLElement | null {
  const direct = root.querySelector<HTMLElement>(selector);
  if (direct) return direct;
  for (const el of Array.from(root.querySelectorAll("*"))) {
    const found = el.shadowRoot ? find(el.shadowRoot, selector) : null;
    if (found) return found;
  }
  return null;
}

/** The text a person reads in an element, shadow roots included. */
export function text(el: Node | null): string {
  return el ? deepText(el).replace(/\s+/g, " ").trim() : "";
}

function deepText(node: Node): string {
  if (node.nodeType === Node.TEXT_NODE) return node.textContent ?? "";
  if (node.nodeType === Node.COMMENT_NODE || node.nodeName === "STYLE") return "";
  const shadow = (node as Element).shadowRoot;
  return `${shadow ? deepText(shadow) : ""} ${Array.from(node.childNodes, deepText).join(" ")}`;
}

export function jsonResponse(status: number, body: unknown): Response {
  const type = status >= 400 ? "application/problem+json" : "application/json";
  return new Response(JSON.stringify(body), { status, headers: { "content-type": type } });
}

/** Replaces fetch with answers by "METHOD path"; what it was asked is in `calls`. */
export function stubFetch(answers: Record<string, () => Response>) {
  const calls: { method: string; path: string; body: unknown; headers: Record<string, string> }[] = [];
  const fetch = vi.fn(async (input: string, init: RequestInit = {}) => {
    const method = init.method ?? "GET";
    const path = String(input).split("?")[0] as string;
    calls.push({
      method,
      path,
      body: init.body ? JSON.parse(String(init.body)) : undefined,
      headers: (init.headers ?? {}) as Record<string, string>,
    });
    const answer = answers[`${method} ${path}`];
    if (!answer)
      return jsonResponse(404, { status: 404, title: "Not Found", detail: `no stub for ${method} ${path}` });
    return answer();
  });
  vi.stubGlobal("fetch", fetch);
  return calls;
}

export function aTask(
  overrides: { name?: string; phase?: string; status?: object; spec?: object } = {},
): AgentTask {
  const name = overrides.name ?? "fix-it";
  return {
    apiVersion: "agentyard.dev/v1alpha1",
    kind: "AgentTask",
    metadata: {
      name,
      namespace: "org-acme",
      uid: `uid-${name}`,
      resourceVersion: "7",
      creationTimestamp: "2026-11-24T12:00:00Z",
    },
    spec: {
      org: "acme",
      prompt: "Add a health endpoint",
      timeout: "1h",
      retries: 0,
      cancel: false,
      ...overrides.spec,
    },
    status: { phase: overrides.phase ?? "Running", ...overrides.status },
  } as AgentTask;
}
