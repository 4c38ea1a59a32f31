// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from "vitest";
import { find, jsonResponse, mount, settle, stubFetch, text } from "../fixtures.test-support.ts";
import { type AyScheduleForm, scheduleBody } from "./schedule-form.ts";
import "./schedule-form.ts";

afterEach(() => {
  document.body.innerHTML = "";
  vi.unstubAllGlobals();
  location.hash = "";
});

async function submit(form: AyScheduleForm, values: Record<string, string>) {
  const root = form.shadowRoot as ShadowRoot;
  for (const [id, value] of Object.entries(values)) {
    (root.getElementById(id) as HTMLInputElement).value = value;
  }
  (root.querySelector("form") as HTMLFormElement).requestSubmit();
  await vi.waitFor(() => expect(form.busy).toBe(false));
  await settle(form);
}

describe("<ay-schedule-form>", () => {
  const props = { orgs: ["acme", "globex"], can: { acme: true, globex: false } };

  it("sends only what was filled in, with an Idempotency-Key, and opens the new task", async () => {
    const calls = stubFetch({
      "POST /schedule": () =>
        jsonResponse(202, { task: { name: "task-1", namespace: "org-acme", uid: "u" }, org: "acme" }),
    });
    const form = await mount<AyScheduleForm>("ay-schedule-form", props);
    await submit(form, { prompt: "Add a health endpoint", timeout: "30m" });
    expect(calls[0]?.body).toEqual({
      org: "acme",
      task: { prompt: "Add a health endpoint", timeout: "30m" },
    });
    expect(calls[0]?.headers["idempotency-key"]).toMatch(/^[0-9a-f]{32}$/);
    expect(location.hash).toBe("#/tasks/org-acme/task-1");
  });

  it("puts each of the api's validation errors next to its field", async () => {
    stubFetch({
      "POST /schedule": () =>
        jsonResponse(400, {
          status: 400,
          title: "Bad Request",
          detail: "the request is invalid",
          errors: ["task.repo.url: must be a git URL", "task.retries: must be between 0 and 10"],
        }),
    });
    const form = await mount<AyScheduleForm>("ay-schedule-form", props);
    await submit(form, { prompt: "x", "repo-url": "nope", retries: "20" });
    const root = form.shadowRoot as ShadowRoot;
    expect(text(root.querySelector('[data-error-for="repo-url"]'))).toBe("must be a git URL");
    expect(text(root.querySelector('[data-error-for="retries"]'))).toBe("must be between 0 and 10");
    expect(root.getElementById("retries")?.getAttribute("aria-invalid")).toBe("true");
    expect(root.getElementById("retries")?.getAttribute("aria-describedby")).toContain("retries-error");
    expect(root.getElementById("prompt")?.getAttribute("aria-invalid")).toBe("false");
    // The closed "Advanced" part opens to show its error.
    expect(root.querySelector("details")?.hasAttribute("open")).toBe(true);
    // Field errors are not repeated as a banner.
    expect(find(root, "[role=alert]")).toBeNull();
  });

  it("says a 403 plainly", async () => {
    stubFetch({
      "POST /schedule": () =>
        jsonResponse(403, {
          status: 403,
          title: "Forbidden",
          detail: "alice may not create agenttasks.agentyard.dev",
        }),
    });
    const form = await mount<AyScheduleForm>("ay-schedule-form", props);
    await submit(form, { prompt: "x" });
    const alert = find(form.shadowRoot as ShadowRoot, "[role=alert]");
    expect(text(alert)).toContain("Not allowed (403)");
    expect(text(alert)).toContain("alice may not create");
  });

  it("will not send for an Org the person may not schedule in", async () => {
    const form = await mount<AyScheduleForm>("ay-schedule-form", { ...props, org: "globex" });
    const root = form.shadowRoot as ShadowRoot;
    expect((root.querySelector("button[type=submit]") as HTMLButtonElement).disabled).toBe(true);
    expect(text(root.querySelector(".not-allowed"))).toContain("You may not create tasks in globex");
  });
});

describe("scheduleBody", () => {
  it("leaves empty optional fields to the Org's defaults", () => {
    const input = { org: "acme", prompt: "p", repoUrl: " ", branch: "dev", timeout: "", retries: "2" };
    expect(scheduleBody(input)).toEqual({
      org: "acme",
      task: { prompt: "p", repo: { branch: "dev" }, retries: 2 },
    });
  });
});
