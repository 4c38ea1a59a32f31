// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiProblem } from "../api/problem.ts";
import { aTask, mount, text } from "../fixtures.test-support.ts";
import type { AyCopyButton } from "./copy-button.ts";
import type { AyProblem } from "./problem-message.ts";
import type { AyRelativeTime } from "./relative-time.ts";
import type { AySignIn } from "./sign-in.ts";
import type { AyTaskTable } from "./task-table.ts";
import "./copy-button.ts";
import "./problem-message.ts";
import "./relative-time.ts";
import "./sign-in.ts";
import "./task-table.ts";

afterEach(() => {
  document.body.innerHTML = "";
  vi.unstubAllGlobals();
});

describe("<ay-task-table>", () => {
  it("lists tasks newest first, each linking to its page", async () => {
    const older = aTask({ name: "older" });
    const newer = aTask({ name: "newer", phase: "Queued" });
    newer.metadata.creationTimestamp = "2026-11-24T13:00:00Z";
    const el = await mount<AyTaskTable>("ay-task-table", { tasks: [older, newer] });
    const rows = Array.from(el.shadowRoot?.querySelectorAll("tbody tr") ?? []);
    expect(rows.map((r) => r.getAttribute("data-task"))).toEqual(["org-acme/newer", "org-acme/older"]);
    expect(rows[0]?.querySelector("a")?.getAttribute("href")).toBe("#/tasks/org-acme/newer");
    expect(text(rows[0] ?? null)).toContain("Queued");
  });

  it("marks a finished task whose agent is held stopped as suspended, and says why", async () => {
    const idle = aTask({
      name: "idle",
      phase: "Succeeded",
      status: {
        conditions: [
          {
            type: "Suspended",
            status: "True",
            reason: "EditorIdle",
            message: "the editor was idle for 60s",
            lastTransitionTime: "2026-11-24T13:00:00Z",
          },
        ],
      },
    });
    const held = aTask({ name: "held", phase: "Suspended", spec: { suspend: true } });
    const el = await mount<AyTaskTable>("ay-task-table", { tasks: [idle, held] });
    const row = (name: string) => el.shadowRoot?.querySelector(`tr[data-task="org-acme/${name}"]`) ?? null;
    expect(text(row("idle"))).toContain("Succeeded Suspended · editor idle");
    // Its phase already says so.
    expect(text(row("held"))).toContain("Suspended");
    expect(text(row("held"))).not.toContain("Suspended ·");
    expect(row("held")?.querySelector("ay-suspended-badge")?.shadowRoot?.querySelector("span")).toBeNull();
  });

  it("says when there is nothing", async () => {
    const el = await mount<AyTaskTable>("ay-task-table", { tasks: [], empty: "No tasks in this Org yet." });
    expect(text(el)).toBe("No tasks in this Org yet.");
  });
});

describe("<ay-problem>", () => {
  it("says a 403 is RBAC's refusal", async () => {
    const problem = new ApiProblem({ status: 403, title: "Forbidden", detail: "bob may not list orgs" });
    const el = await mount<AyProblem>("ay-problem", { problem });
    expect(el.shadowRoot?.querySelector("[role=alert]")).not.toBeNull();
    expect(text(el)).toContain("Not allowed (403) bob may not list orgs Kubernetes RBAC decides");
  });
});

describe("<ay-sign-in>", () => {
  it("hands the token to the app and shows why the person was signed out", async () => {
    const el = await mount<AySignIn>("ay-sign-in", { notice: "The api refused the token." });
    expect(text(el.shadowRoot?.querySelector("[role=alert]") ?? null)).toBe("The api refused the token.");
    const got = new Promise<string>((resolve) =>
      el.addEventListener("sign-in", (e) => resolve((e as CustomEvent<string>).detail)),
    );
    const input = el.shadowRoot?.getElementById("token") as HTMLInputElement;
    expect(input.type).toBe("password");
    input.value = "secret-token";
    el.shadowRoot?.querySelector("form")?.requestSubmit();
    expect(await got).toBe("secret-token");
  });
});

describe("<ay-copy-button>", () => {
  it("copies its text and says so", async () => {
    const writeText = vi.fn(async () => {});
    vi.stubGlobal("navigator", { clipboard: { writeText } });
    const el = await mount<AyCopyButton>("ay-copy-button", {
      text: "http://fix-it:8443/",
      label: "Copy editor URL",
    });
    el.shadowRoot?.querySelector("button")?.click();
    await vi.waitFor(() => expect(el.copied).toBe(true));
    await el.updateComplete;
    expect(writeText).toHaveBeenCalledWith("http://fix-it:8443/");
    expect(text(el.shadowRoot?.querySelector("[role=status]") ?? null)).toBe("Copied to the clipboard");
  });
});

describe("<ay-relative-time>", () => {
  it("says how long ago, and keeps saying it as time passes", async () => {
    vi.useFakeTimers({
      now: Date.parse("2026-11-24T12:00:30Z"),
      toFake: ["Date", "setInterval", "clearInterval"],
    });
    try {
      const el = await mount<AyRelativeTime>("ay-relative-time", { datetime: "2026-11-24T12:00:00Z" });
      expect(text(el)).toBe("30 s ago");
      expect(el.querySelector("time")?.getAttribute("datetime")).toBe("2026-11-24T12:00:00Z");
      vi.advanceTimersByTime(40_000);
      await el.updateComplete;
      expect(text(el)).toBe("1 min ago");
    } finally {
      vi.useRealTimers();
    }
  });
});
