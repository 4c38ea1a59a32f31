// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from "vitest";
import { aTask, find, jsonResponse, mount, settle, stubFetch, text } from "../fixtures.test-support.ts";
import type { AyTaskDetail } from "./task-detail.ts";
import "./task-detail.ts";

afterEach(() => {
  document.body.innerHTML = "";
  vi.unstubAllGlobals();
});

const lastPR = {
  branch: "agentyard/health",
  commit: "4f2a9c1e0b7d3a5f6e8c9d0a1b2c3d4e5f607182",
  base: "main",
  title: "Add a health endpoint",
  summary: "Added GET /healthz",
  diffstat: { files: 3, insertions: 42, deletions: 7 },
  url: "https://git.example.com/acme/app/pull/17",
};

function stubTaskReads(task = aTask()) {
  return stubFetch({
    "GET /api/v1/tasks/org-acme/fix-it": () => jsonResponse(200, task),
    "GET /api/v1/tasks/org-acme/fix-it/events": () =>
      jsonResponse(200, {
        items: [
          {
            type: "Normal",
            reason: "Running",
            message: "the agent is running attempt 1",
            count: 1,
            lastTime: "2026-11-24T12:00:05Z",
          },
        ],
      }),
    "GET /api/v1/tasks/org-acme/fix-it/logs": () =>
      jsonResponse(200, { source: "state", container: "agent", log: "hello\n" }),
    "POST /api/v1/tasks/org-acme/fix-it/cancel": () => jsonResponse(202, aTask({ spec: { cancel: true } })),
  });
}

const detail = (live = aTask(), can = { cancel: true, resume: true, delete: true }) =>
  mount<AyTaskDetail>("ay-task-detail", { namespace: "org-acme", name: "fix-it", live, can });

const button = (el: AyTaskDetail, selector: string) =>
  el.shadowRoot?.querySelector(selector) as HTMLButtonElement;

describe("<ay-task-detail>", () => {
  it("shows the phase, the artifact, the editor link, the log tail and the timeline", async () => {
    stubTaskReads();
    const el = await detail(
      aTask({
        phase: "Succeeded",
        status: { editorURL: "http://fix-it.org-acme:8443/", artifacts: { lastPR } },
      }),
    );
    await vi.waitFor(async () => {
      await settle(el);
      expect(text(el)).toContain("the agent is running attempt 1");
    });
    const shown = text(el);
    expect(shown).toContain("Succeeded");
    expect(shown).toContain("agentyard/health");
    expect(shown).toContain("4f2a9c1e0b7d");
    const diffstat = find(el.shadowRoot as ShadowRoot, '[data-artifact="diffstat"]');
    expect(text(diffstat).replace(/\s/g, "")).toContain("3files,+42−7");
    expect(shown).toContain("http://fix-it.org-acme:8443/");
    expect(shown).toContain("hello");
  });

  it("links the pull request only when its URL is http(s)", async () => {
    stubTaskReads();
    const artifactUrl = async (url: string) => {
      const el = await detail(
        aTask({ phase: "Succeeded", status: { artifacts: { lastPR: { ...lastPR, url } } } }),
      );
      const shown = find(el.shadowRoot as ShadowRoot, '[data-artifact="url"]') as HTMLElement;
      el.remove();
      return { tag: shown.tagName.toLowerCase(), href: shown.getAttribute("href"), text: text(shown) };
    };
    expect(await artifactUrl(lastPR.url)).toEqual({ tag: "a", href: lastPR.url, text: lastPR.url });
    for (const url of [
      "javascript:alert(document.domain)",
      "data:text/html,<script>1</script>",
      "//evil.example/x",
    ]) {
      expect(await artifactUrl(url)).toEqual({ tag: "code", href: null, text: url });
    }
  });

  it("shows the pull request's number, state and page, or why it was not opened", async () => {
    stubTaskReads();
    const opened = {
      ...lastPR,
      forge: "gitea" as const,
      number: 17,
      state: "merged" as const,
    };
    const el = await detail(aTask({ phase: "Succeeded", status: { artifacts: { lastPR: opened } } }));
    const root = el.shadowRoot as ShadowRoot;
    expect(text(find(root, '[data-artifact="pr-number"]'))).toBe("#17");
    expect(text(find(root, '[data-artifact="pr-state"]'))).toBe("merged");
    expect(find(root, '[data-artifact="url"]')?.getAttribute("href")).toBe(lastPR.url);
    expect(root.querySelector('[data-artifact="pr-error"]')).toBeNull();
    el.remove();

    const refused = await detail(
      aTask({
        phase: "Succeeded",
        status: {
          artifacts: {
            lastPR: {
              ...lastPR,
              url: undefined,
              pullRequestError: "gitea: the token lacks the rights for this",
            },
          },
        },
      }),
    );
    const refusedRoot = refused.shadowRoot as ShadowRoot;
    expect(text(find(refusedRoot, '[data-artifact="pr-error"]'))).toBe(
      "Not opened: gitea: the token lacks the rights for this",
    );
    expect(refusedRoot.querySelector('[data-artifact="pr-number"]')).toBeNull();
    expect(text(refused)).toContain("agentyard/health");
  });

  it("disables what RBAC refuses, and Cancel once the task has finished", async () => {
    stubTaskReads();
    const refused = await detail(aTask(), { cancel: false, resume: false, delete: false });
    expect(button(refused, '[data-action="cancel"]').disabled).toBe(true);
    expect(button(refused, '[data-action="delete"]').title).toBe("You may not delete tasks in this Org");
    refused.remove();

    const finished = await detail(aTask({ phase: "Failed" }));
    expect(button(finished, '[data-action="cancel"]').disabled).toBe(true);
    expect(button(finished, '[data-action="delete"]').disabled).toBe(false);
  });

  it("cancels after a confirmation", async () => {
    const calls = stubTaskReads();
    const el = await detail();
    button(el, '[data-action="cancel"]').click();
    await settle(el);
    expect(calls.some((c) => c.method === "POST")).toBe(false);
    button(el, '[data-confirm="cancel"]').click();
    await vi.waitFor(() =>
      expect(calls.some((c) => c.method === "POST" && c.path.endsWith("/cancel"))).toBe(true),
    );
  });

  it("shows a refused action as a 403", async () => {
    stubTaskReads();
    vi.stubGlobal(
      "fetch",
      vi.fn(async () =>
        jsonResponse(403, { status: 403, title: "Forbidden", detail: "carol may not patch agenttasks" }),
      ),
    );
    const el = await detail();
    button(el, '[data-action="cancel"]').click();
    await settle(el);
    button(el, '[data-confirm="cancel"]').click();
    await vi.waitFor(async () => {
      await settle(el);
      expect(text(el)).toContain("Not allowed (403)");
    });
    expect(text(el)).toContain("carol may not patch agenttasks");
  });
});

describe("<ay-task-detail> of a suspended task", () => {
  const heldBySpec = () =>
    aTask({
      phase: "Suspended",
      spec: { suspend: true },
      status: {
        message: "suspended during attempt 1: spec.suspend is true",
        suspendedAt: "2026-11-24T13:00:00Z",
      },
    });
  const idleEditor = aTask({
    phase: "Succeeded",
    status: {
      suspendedAt: "2026-11-24T13:00:00Z",
      conditions: [
        {
          type: "Suspended",
          status: "True",
          reason: "EditorIdle",
          message: "the editor was idle for 60s; resume the task to open it again",
          lastTransitionTime: "2026-11-24T13:00:00Z",
        },
      ],
    },
  });
  const resumed = {
    name: "fix-it",
    namespace: "org-acme",
    uid: "uid-fix-it",
    resumedAt: "2026-11-24T13:10:00Z",
  };

  it("offers Resume only while the task is suspended", async () => {
    stubTaskReads();
    const running = await detail();
    expect(running.shadowRoot?.querySelector('[data-action="resume"]')).toBeNull();
    running.remove();

    const held = await detail(heldBySpec());
    const resume = button(held, '[data-action="resume"]');
    expect(resume.tagName).toBe("BUTTON");
    expect(text(resume)).toBe("Resume");
    expect(resume.disabled).toBe(false);
    expect(text(find(held.shadowRoot as ShadowRoot, '[data-testid="suspension"]'))).toMatch(
      /stopped while the task is suspended \(\s*spec\.suspend\s*\)/,
    );
  });

  it("shows a finished task whose idle editor was stopped as suspended, with why", async () => {
    stubTaskReads(idleEditor);
    const el = await detail(idleEditor);
    const root = el.shadowRoot as ShadowRoot;
    expect(text(find(root, '[data-phase="Succeeded"]'))).toBe("Succeeded");
    const badge = find(root, '[data-suspended="EditorIdle"]') as HTMLElement;
    expect(text(badge)).toBe("Suspended · editor idle");
    expect(badge.title).toBe("the editor was idle for 60s; resume the task to open it again");
    expect(button(el, '[data-action="resume"]').disabled).toBe(false);
  });

  it("resumes with one POST and no body, disabled while the call runs", async () => {
    const calls = stubTaskReads(heldBySpec());
    let answer: (res: Response) => void = () => {};
    const stubbed = globalThis.fetch;
    vi.stubGlobal(
      "fetch",
      vi.fn(async (input: string, init: RequestInit = {}) => {
        if (init.method === "POST" && String(input).endsWith("/resume")) {
          calls.push({ method: "POST", path: String(input), body: init.body, headers: {} });
          return new Promise<Response>((resolve) => {
            answer = resolve;
          });
        }
        return stubbed(input, init);
      }),
    );
    const el = await detail(heldBySpec());
    button(el, '[data-action="resume"]').click();
    await settle(el);
    expect(button(el, '[data-action="resume"]').disabled).toBe(true);
    const posts = calls.filter((c) => c.method === "POST");
    expect(posts).toEqual([
      { method: "POST", path: "/api/v1/tasks/org-acme/fix-it/resume", body: undefined, headers: {} },
    ]);
    answer(jsonResponse(202, resumed));
    // The stream then brings the task with spec.suspend false: Resuming… until the operator acts.
    el.live = aTask({ phase: "Suspended", spec: { suspend: false } });
    await vi.waitFor(async () => {
      await settle(el);
      expect(text(button(el, '[data-action="resume"]'))).toBe("Resuming…");
    });
    expect(button(el, '[data-action="resume"]').disabled).toBe(true);
    el.live = aTask({ phase: "Starting", spec: { suspend: false } });
    await settle(el);
    expect(el.shadowRoot?.querySelector('[data-action="resume"]')).toBeNull();
  });

  it("disables Resume where RBAC refuses it, and shows a refused resume's detail", async () => {
    stubTaskReads();
    const refused = await detail(heldBySpec(), { cancel: false, resume: false, delete: false });
    expect(button(refused, '[data-action="resume"]').disabled).toBe(true);
    expect(button(refused, '[data-action="resume"]').title).toBe("You may not resume tasks in this Org");
    refused.remove();

    vi.stubGlobal(
      "fetch",
      vi.fn(async () =>
        jsonResponse(403, {
          status: 403,
          title: "Forbidden",
          detail: 'carol may not patch agenttasks.agentyard.dev "fix-it" in namespace org-acme',
        }),
      ),
    );
    const el = await detail(heldBySpec());
    button(el, '[data-action="resume"]').click();
    await vi.waitFor(async () => {
      await settle(el);
      expect(text(el)).toContain("Not allowed (403)");
    });
    expect(text(el)).toContain('carol may not patch agenttasks.agentyard.dev "fix-it" in namespace org-acme');
    expect(button(el, '[data-action="resume"]').disabled).toBe(false);
  });
});
