// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from "vitest";
import { aTask, jsonResponse } from "../fixtures.test-support.ts";
import { LiveController } from "./live.ts";

afterEach(() => {
  vi.unstubAllGlobals();
});

/** A host that only counts update requests, as a Lit element would batch them. */
function host() {
  return {
    updates: 0,
    addController() {},
    removeController() {},
    requestUpdate() {
      this.updates++;
    },
    updateComplete: Promise.resolve(true),
  };
}

function stream(text: string): Response {
  return new Response(new Blob([text]).stream(), {
    status: 200,
    headers: { "content-type": "text/event-stream" },
  });
}

const event = (name: string, data: unknown, id?: string) =>
  `${id ? `id: ${id}\n` : ""}event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

describe("LiveController", () => {
  it("holds what the stream says, and resumes with Last-Event-ID", async () => {
    const first = aTask({ name: "a" });
    const second = aTask({ name: "b" });
    const asked: (string | undefined)[] = [];
    let call = 0;
    vi.stubGlobal(
      "fetch",
      vi.fn(async (_path: string, init: RequestInit) => {
        asked.push((init.headers as Record<string, string>)["last-event-id"]);
        call++;
        if (call === 1) {
          return stream(
            `retry: 10\n\n${event("task", { type: "ADDED", object: first })}${event("synced", { kind: "task" })}` +
              `${event("synced", { kind: "org" }, "task=5&org=3")}${event("task", { type: "ADDED", object: second }, "task=6&org=3")}`,
          );
        }
        return stream(event("task", { type: "DELETED", object: first }, "task=7&org=3"));
      }),
    );
    const live = new LiveController(host());
    live.follow("acme");
    await vi.waitFor(() => expect(asked.length).toBe(2));
    await vi.waitFor(() => expect([...live.tasks.keys()]).toEqual(["org-acme/b"]));
    expect(live.loaded).toBe(true);
    expect(asked).toEqual([undefined, "task=6&org=3"]);
    live.follow(null);
  });

  it("drops a kind on reset", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () =>
        stream(`${event("task", { type: "ADDED", object: aTask() })}${event("reset", { kind: "task" })}`),
      ),
    );
    const live = new LiveController(host());
    live.follow(undefined);
    await vi.waitFor(() => expect(live.connection).not.toBe("connecting"));
    await vi.waitFor(() => expect(live.tasks.size).toBe(0));
    live.follow(null);
  });

  it("stops on a 403 and keeps the problem to show", async () => {
    const fetch = vi.fn(async () =>
      jsonResponse(403, {
        status: 403,
        title: "Forbidden",
        detail: "bob may not watch agenttasks.agentyard.dev in all namespaces",
      }),
    );
    vi.stubGlobal("fetch", fetch);
    const live = new LiveController(host());
    live.follow(undefined);
    await vi.waitFor(() => expect(live.connection).toBe("failed"));
    expect(live.problem?.status).toBe(403);
    expect(live.problem?.message).toContain("bob may not watch");
    expect(fetch).toHaveBeenCalledTimes(1);
  });
});
