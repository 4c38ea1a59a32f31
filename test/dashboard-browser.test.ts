import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { pino } from "pino";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningApi, startApi } from "../api/server.ts";
import { ensureDashboard } from "../dashboard/build.ts";
import type { ClusterUser, DevCluster } from "../devcluster/cluster.ts";
import { waitFor } from "../devcluster/http.ts";
import { projectRoot } from "../devcluster/paths.ts";
import type { RunningOperator } from "../operator/main.ts";
import { ANNOTATION_RESUMED_AT } from "../schema/contract/index.ts";
import { orgManifest, taskManifest } from "../schema/fixtures.test-support.ts";
import type { AgentTask } from "../schema/index.ts";
import { apply, grant, must, startTestApi } from "./support/api.ts";
import { ensureChromium, launchBrowser } from "./support/browser.ts";
import {
  applyManifest,
  clusterWithCrds,
  getJson,
  getOrg,
  phaseIs,
  startTestOperator,
  waitForTask,
  writeAgentState,
} from "./support/operator.ts";

/**
 * The dashboard in Debian's Chromium, against the real api, operator and devcluster: what a person
 * sees and does. Every page it visits is saved to docs/images/ for the README.
 */

const IMAGES = join(projectRoot, "docs", "images");
/** How long the page may take to show what the cluster did: the operator and the stream are quick. */
const SEEN_MS = 30_000;
const REPO = "https://git.example.com/acme/app.git";

let cluster: DevCluster;
let operator: RunningOperator;
let api: RunningApi;
let browser: Browser;

const rbac = "rbac.authorization.k8s.io";
const log = (line: string) => process.stderr.write(`${line}\n`);

/** alice reads every Org and runs tasks in acme: the rights a team's dashboard user has. */
function aliceRights() {
  return [
    {
      apiVersion: `${rbac}/v1`,
      kind: "ClusterRole",
      metadata: { name: "dashboard-org-reader" },
      rules: [{ apiGroups: ["agentyard.dev"], resources: ["orgs"], verbs: ["get", "list", "watch"] }],
    },
    {
      apiVersion: `${rbac}/v1`,
      kind: "ClusterRoleBinding",
      metadata: { name: "dashboard-org-reader-alice" },
      roleRef: { apiGroup: rbac, kind: "ClusterRole", name: "dashboard-org-reader" },
      subjects: [{ apiGroup: rbac, kind: "User", name: "alice" }],
    },
    {
      apiVersion: `${rbac}/v1`,
      kind: "Role",
      metadata: { name: "acme-operator", namespace: "org-acme" },
      rules: [
        {
          apiGroups: ["agentyard.dev"],
          resources: ["agenttasks"],
          verbs: ["get", "list", "watch", "create", "patch", "delete"],
        },
        { apiGroups: [""], resources: ["events"], verbs: ["list"] },
        { apiGroups: [""], resources: ["configmaps"], verbs: ["get"] },
        { apiGroups: [""], resources: ["pods"], verbs: ["list"] },
        { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
      ],
    },
    {
      apiVersion: `${rbac}/v1`,
      kind: "RoleBinding",
      metadata: { name: "acme-operator-alice", namespace: "org-acme" },
      roleRef: { apiGroup: rbac, kind: "Role", name: "acme-operator" },
      subjects: [{ apiGroup: rbac, kind: "User", name: "alice" }],
    },
  ];
}

const kubectlOf = (c: DevCluster) => (args: string[], options?: { user?: ClusterUser; input?: string }) =>
  c.kubectl(args, options);

beforeAll(async () => {
  const [, started] = await Promise.all([
    ensureDashboard(),
    clusterWithCrds("dashboard"),
    ensureChromium(log),
  ]);
  cluster = started;
  operator = await startTestOperator(cluster);
  await applyManifest(
    cluster,
    orgManifest("acme", { repo: { url: REPO }, limits: { maxConcurrentTasks: 3 } }),
  );
  await applyManifest(
    cluster,
    orgManifest("globex", { repo: { url: "https://git.example.com/globex/site.git" } }),
  );
  for (const org of ["acme", "globex"]) {
    await waitFor(`Org ${org} to be Ready`, async () => {
      const got = await getOrg(cluster, org);
      return got?.status?.conditions?.find((c) => c.type === "Ready" && c.status === "True");
    });
  }
  const kubectl = kubectlOf(cluster);
  await apply(kubectl, aliceRights());
  // carol may look at acme's tasks and nothing more: the dashboard disables what she may not do.
  await grant(kubectl, { kind: "User", name: "carol" }, "acme", "org-acme", ["get", "list", "watch"]);
  api = await startTestApi(cluster.info(), kubectl);
  browser = await launchBrowser();
  await mkdir(IMAGES, { recursive: true });
  // A fresh machine installs Debian's chromium here, which can take minutes.
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await api?.close();
  await operator?.stop();
  await cluster?.stop();
});

/** What the pages logged as errors, besides refused requests the tests ask for: CSP violations included. */
const pageErrors: string[] = [];

function watchErrors(page: Page): void {
  page.on("pageerror", (err) => pageErrors.push(err.message));
  page.on("console", (message) => {
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
      pageErrors.push(message.text());
    }
  });
}

/** A new window, signed in as `user` through the sign-in form. */
async function signedIn(user: ClusterUser, path = "/"): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: "light" });
  const page = await context.newPage();
  watchErrors(page);
  page.setDefaultTimeout(SEEN_MS);
  await page.goto(api.url + path);
  await page.getByLabel("Kubernetes token").fill(cluster.token(user));
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("identity").waitFor();
  return page;
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(IMAGES, `${name}.png`), fullPage: true, animations: "disabled" });
}

/** The phase the task detail page shows. */
const detailPhase = (page: Page, phase: string) =>
  page.locator(`ay-task-detail ay-phase-badge [data-phase="${phase}"]`);

describe("signing in", () => {
  it("asks for a token, shows who is signed in, and refuses a bad token", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    watchErrors(page);
    page.setDefaultTimeout(SEEN_MS);
    await page.goto(api.url);
    await page.getByLabel("Kubernetes token").fill("not-a-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "did not accept the bearer token" }).waitFor();

    await page.getByLabel("Kubernetes token").fill(cluster.token("alice"));
    await page.getByRole("button", { name: "Sign in" }).click();
    expect(await page.getByTestId("identity").textContent()).toContain("alice");
    // The token stays in this tab's sessionStorage; a reload keeps the person signed in.
    await page.reload();
    await page.getByTestId("identity").waitFor();
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Kubernetes token").waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await context.close();
  });
});

describe("as alice, who runs tasks in acme", () => {
  let page: Page;
  let scheduled: string;

  beforeAll(async () => {
    page = await signedIn("alice");
  });
  afterAll(async () => {
    await page?.context().close();
  });

  it("shows the API's validation errors next to their fields", async () => {
    await page.getByRole("link", { name: "Schedule", exact: true }).click();
    await page.getByLabel("Prompt").fill("Add a health endpoint");
    await page.getByText("Advanced").click();
    await page.getByLabel("Timeout").fill("soon");
    await page.getByLabel("Retries").fill("20");
    await page.getByRole("button", { name: "Schedule", exact: true }).click();

    const timeoutError = page.locator('[data-error-for="timeout"]');
    await timeoutError.waitFor();
    expect(await timeoutError.textContent()).toContain("must be a Go duration");
    expect(await page.locator('[data-error-for="retries"]').textContent()).toContain("between 0 and 10");
    expect(await page.getByLabel("Timeout").getAttribute("aria-invalid")).toBe("true");
    // The first invalid field has the focus, so a keyboard user is where the fix goes.
    expect(await page.getByLabel("Timeout").evaluate((el) => el.matches(":focus"))).toBe(true);
    await screenshot(page, "schedule-form");
  });

  it("schedules a task from the form and watches it go Running without a reload", async () => {
    await page.evaluate(() => {
      (window as unknown as { marker: string }).marker = "same page";
    });
    await page.getByLabel("Timeout").fill("30m");
    await page.getByLabel("Retries").fill("1");
    await page.getByRole("button", { name: "Schedule", exact: true }).click();

    await page.waitForURL(/#\/tasks\/org-acme\/task-/);
    scheduled = decodeURIComponent(new URL(page.url()).hash.split("/").at(-1) as string);
    await detailPhase(page, "Running").waitFor();
    expect(await page.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe("same page");
    expect(await page.getByTestId("editor-url").textContent()).toContain(
      `${scheduled}.org-acme.svc.cluster.local`,
    );
    const task = await waitForTask(cluster, "org-acme", scheduled, "to be Running", phaseIs("Running"));
    expect(task.spec).toMatchObject({
      org: "acme",
      prompt: "Add a health endpoint",
      timeout: "30m",
      retries: 1,
    });
    // The operator's Events come into the timeline.
    await page
      .locator('ay-task-timeline li[data-source="event"]')
      .filter({ hasText: "Running" })
      .first()
      .waitFor();
  });

  it("lists the task live, filtered by Org and phase", async () => {
    await page.getByRole("link", { name: "Tasks", exact: true }).click();
    await page.locator(`ay-task-table tr[data-task="org-acme/${scheduled}"]`).waitFor();
    await page.getByLabel("Phase").selectOption("Running");
    await page.waitForURL(/phase=Running/);
    await page.locator(`ay-task-table tr[data-task="org-acme/${scheduled}"]`).waitFor();

    // A task created elsewhere (kubectl) appears in the open list without a reload.
    await applyManifest(
      cluster,
      taskManifest("from-kubectl", "org-acme", { org: "acme", prompt: "Upgrade the dependencies" }),
    );
    await page.locator('ay-task-table tr[data-task="org-acme/from-kubectl"]').waitFor();
    await page.getByLabel("Phase").selectOption("");
    await screenshot(page, "tasks");
  });

  it("shows the artifact once the agent reports its change, and the task's end", async () => {
    await page.locator(`ay-task-table a`, { hasText: scheduled }).click();
    await detailPhase(page, "Running").waitFor();
    const written = await writeAgentState(cluster, "org-acme", scheduled, {
      attempt: "1",
      startedAt: new Date(Date.now() - 95_000).toISOString(),
      finishedAt: new Date().toISOString(),
      exitCode: "0",
      logTail:
        "cloning https://git.example.com/acme/app.git\nrunning the agent\nadded GET /healthz\npushed agentyard/health\n",
      lastPR: JSON.stringify({
        task: scheduled,
        org: "acme",
        repo: REPO,
        baseBranch: "main",
        branch: "agentyard/health",
        commit: "4f2a9c1e0b7d3a5f6e8c9d0a1b2c3d4e5f607182",
        title: "Add a health endpoint",
        summary: "Added GET /healthz answering 200 with {status: ok}, and a test for it.",
        diffstat: { files: 3, insertions: 42, deletions: 7 },
        url: "https://git.example.com/acme/app/pull/17",
        exitCode: 0,
        createdAt: new Date().toISOString(),
      }),
    });
    expect(written.code, written.stderr).toBe(0);

    await detailPhase(page, "Succeeded").waitFor();
    await page
      .locator('ay-artifact-view [data-artifact="branch"]')
      .filter({ hasText: "agentyard/health" })
      .waitFor();
    expect(await page.locator('ay-artifact-view [data-artifact="commit"]').textContent()).toBe(
      "4f2a9c1e0b7d",
    );
    expect(await page.locator('ay-artifact-view [data-artifact="diffstat"]').textContent()).toMatch(
      /3 files,\s*\+42\s*−7/,
    );
    expect(await page.locator('ay-artifact-view [data-artifact="url"]').getAttribute("href")).toBe(
      "https://git.example.com/acme/app/pull/17",
    );
    // The log tail: kwok's pods have no kubelet, so the tail comes from the agent's report.
    await page
      .locator('ay-log-tail pre[data-log-source="state"]')
      .filter({ hasText: "pushed agentyard/health" })
      .waitFor();
    await page
      .locator('ay-task-timeline li[data-source="event"]')
      .filter({ hasText: "Succeeded" })
      .first()
      .waitFor();
    await screenshot(page, "task-detail");
  });

  it("cancels a running task", async () => {
    await page.goto(`${api.url}/#/tasks/org-acme/from-kubectl`);
    await detailPhase(page, "Running").waitFor();
    await page.locator('[data-action="cancel"]').click();
    await page.getByRole("button", { name: "Cancel task" }).click();
    await detailPhase(page, "Cancelled").waitFor();
    const task = await waitForTask(
      cluster,
      "org-acme",
      "from-kubectl",
      "to be Cancelled",
      phaseIs("Cancelled"),
    );
    expect(task.spec.cancel).toBe(true);
  });

  it("deletes a task and returns to the list", async () => {
    await page.locator('[data-action="delete"]').click();
    await page.getByRole("button", { name: "Delete task" }).click();
    await page.waitForURL(/#\/tasks\?org=acme/);
    await page.locator("ay-task-table").waitFor();
    await waitFor(
      "the deleted task to leave the list",
      async () =>
        (await page.locator('tr[data-task="org-acme/from-kubectl"]').count()) === 0 ? true : undefined,
      { timeoutMs: SEEN_MS },
    );
  });

  it("shows a suspended task as Suspended and resumes it", async () => {
    await applyManifest(
      cluster,
      taskManifest("pause-me", "org-acme", { org: "acme", prompt: "Rename the config keys" }),
    );
    await waitForTask(cluster, "org-acme", "pause-me", "to be Running", phaseIs("Running"));
    await page.goto(`${api.url}/#/tasks/org-acme/pause-me`);
    await detailPhase(page, "Running").waitFor();
    expect(await page.locator('[data-action="resume"]').count()).toBe(0);
    await must(
      kubectlOf(cluster)([
        "patch",
        "agenttask",
        "pause-me",
        "-n",
        "org-acme",
        "--type=merge",
        "-p",
        '{"spec":{"suspend":true}}',
      ]),
      "suspending pause-me",
    );

    await detailPhase(page, "Suspended").waitFor();
    const resume = page.getByRole("button", { name: "Resume", exact: true });
    await resume.waitFor();
    await page.getByTestId("suspension").waitFor();
    const clicked = Date.now();
    await resume.click();
    const task = await waitForTask(
      cluster,
      "org-acme",
      "pause-me",
      "to be resumed by the api",
      (t) => t.spec.suspend === false && t.metadata.annotations?.[ANNOTATION_RESUMED_AT] !== undefined,
    );
    const resumedAt = Date.parse(task.metadata.annotations?.[ANNOTATION_RESUMED_AT] ?? "");
    expect(resumedAt).toBeGreaterThanOrEqual(Math.floor(clicked / 1000) * 1000);
    // The stream brings the operator's answer: the attempt goes on, and Resume goes away.
    await detailPhase(page, "Running").waitFor();
    await page.locator('[data-action="resume"]').waitFor({ state: "detached" });
  });

  it("may not schedule in globex: the form says so and will not send", async () => {
    await page.goto(`${api.url}/#/schedule?org=globex`);
    await page.getByText("You may not create tasks in globex").waitFor();
    expect(await page.getByRole("button", { name: "Schedule", exact: true }).isDisabled()).toBe(true);
  });
});

describe("as admin, who sees everything", () => {
  beforeAll(async () => {
    // Work in a second Org, one task of it failed, for a fuller picture.
    const globex = (name: string, prompt: string) =>
      applyManifest(cluster, taskManifest(name, "org-globex", { org: "globex", prompt }));
    await globex("refresh-landing-page", "Refresh the landing page copy for the spring launch");
    await globex("fix-broken-links", "Fix the broken links in the docs");
    await waitForTask(cluster, "org-globex", "fix-broken-links", "to be Running", phaseIs("Running"));
    const written = await writeAgentState(cluster, "org-globex", "fix-broken-links", {
      attempt: "1",
      startedAt: new Date(Date.now() - 30_000).toISOString(),
      finishedAt: new Date().toISOString(),
      exitCode: "1",
      message: "the link checker still finds 2 broken links",
    });
    expect(written.code, written.stderr).toBe(0);
    await waitForTask(cluster, "org-globex", "fix-broken-links", "to fail", phaseIs("Failed"));
  });

  it("shows the health of every part and the work by phase", async () => {
    const page = await signedIn("admin");
    await page.locator('ay-overview a[data-phase="Failed"] strong', { hasText: /^[1-9]/ }).waitFor();
    await page.locator('ay-health-card[name="operator"] [data-health="ok"]').waitFor();
    await page.locator('ay-health-card[name="api"] [data-health="ok"]').waitFor();
    await page.locator('ay-health-card[name="Kubernetes API server"] [data-health="ok"]').waitFor();
    await page.locator('ay-health-card[name="acme"] [data-health="ok"]').waitFor();
    await page.locator('ay-overview a[data-phase="Succeeded"] strong', { hasText: /^[1-9]/ }).waitFor();
    await screenshot(page, "overview");

    await page.getByRole("link", { name: "Orgs", exact: true }).click();
    await page.locator('ay-org-list tr[data-org="globex"]').waitFor();
    await screenshot(page, "orgs");
    await page.getByRole("link", { name: "acme", exact: true }).click();
    await page.locator('ay-org-detail [data-health="ok"]').waitFor();
    await page.locator("ay-org-detail ay-task-table tr").nth(1).waitFor();
    await screenshot(page, "org-detail");

    await page.emulateMedia({ colorScheme: "dark" });
    await page.getByRole("link", { name: "Tasks", exact: true }).click();
    await page.locator("ay-task-table tr").nth(1).waitFor();
    await screenshot(page, "tasks-dark");

    // A phone: the same pages, one column.
    await page.emulateMedia({ colorScheme: "light" });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.locator("ay-task-table tr").nth(1).waitFor();
    await screenshot(page, "tasks-phone");
    await page.context().close();
  });
});

/** What the charts' first table should total: the tasks as the API server has them now. */
/** The chart's totals the suite's tasks should give, of one Org's tasks or of all. */
async function expectedTotals(org?: string): Promise<Record<string, string>> {
  const list = await getJson<{ items: AgentTask[] }>(cluster, ["agenttasks", "-A"]);
  const tasks = (list?.items ?? []).filter((t) => org === undefined || t.spec.org === org);
  const totals: Record<string, string> = {
    Started: String(tasks.filter((t) => t.status?.startedAt).length),
  };
  for (const outcome of ["Succeeded", "Failed", "Cancelled", "TimedOut"]) {
    totals[outcome] = String(tasks.filter((t) => t.status?.finishedAt && t.status.phase === outcome).length);
  }
  return totals;
}

/** The totals row of a chart's table on the page `host` draws (the overview or an Org's), by column. */
function tableTotals(page: Page, chart: string, host = "ay-overview"): Promise<Record<string, string>> {
  return page
    .locator(`${host} table[data-table="${chart}"] tfoot td`)
    .evaluateAll((cells) =>
      Object.fromEntries(cells.map((c) => [c.getAttribute("data-total"), c.textContent?.trim()])),
    );
}

/** How many pixels of a chart's canvas are drawn on: zero for a blank canvas. */
function inkedPixels(page: Page, chart: string, host = "ay-overview"): Promise<number> {
  return page.locator(`${host} figure[data-chart="${chart}"] canvas`).evaluate((canvas) => {
    const c = canvas as HTMLCanvasElement;
    const pixels = c.getContext("2d")?.getImageData(0, 0, c.width, c.height).data ?? [];
    let inked = 0;
    for (let i = 3; i < pixels.length; i += 4) if ((pixels[i] as number) > 0) inked += 1;
    return inked;
  });
}

describe("the charts of recent work", () => {
  it("draws the tasks this suite ran, with the same numbers in a table, light and dark", async () => {
    const page = await signedIn("admin");
    await page.locator(".charts[data-scheme=light]").waitFor();
    const totals = await waitFor(
      "the chart's table to count the suite's tasks",
      async () => {
        const [want, got] = await Promise.all([expectedTotals(), tableTotals(page, "throughput")]);
        return JSON.stringify(want) === JSON.stringify(got) ? got : undefined;
      },
      { timeoutMs: SEEN_MS },
    );
    // The suite started tasks in two Orgs; one succeeded, one failed (the cancelled one is deleted).
    expect(Number(totals.Started)).toBeGreaterThanOrEqual(3);
    for (const outcome of ["Succeeded", "Failed"]) expect(Number(totals[outcome])).toBeGreaterThan(0);
    // Time to Running comes from status.runningAt, which the operator set as the agents ran.
    const waits = await page.locator('ay-overview table[data-table="wait"] tbody td').allTextContents();
    expect(waits.some((w) => /^\d/.test(w))).toBe(true);
    for (const chart of ["throughput", "wait", "duration", "queue"]) {
      const figure = page.locator(`ay-overview figure[data-chart="${chart}"]`);
      expect(await figure.locator('[role="img"]').getAttribute("aria-describedby")).toBe(`summary-${chart}`);
      expect(await figure.locator("table caption").textContent()).toContain("intervals");
      expect(await inkedPixels(page, chart)).toBeGreaterThan(1000);
    }
    const charts = page.locator('ay-overview section[aria-labelledby="recent"]');
    await charts.screenshot({ path: join(IMAGES, "charts.png"), animations: "disabled" });

    await page.emulateMedia({ colorScheme: "dark" });
    await page.locator(".charts[data-scheme=dark]").waitFor();
    expect(await inkedPixels(page, "throughput")).toBeGreaterThan(1000);
    await charts.screenshot({ path: join(IMAGES, "charts-dark.png"), animations: "disabled" });
    await page.context().close();
  });

  it("draws an Org's own tasks on its page, and only those", async () => {
    const page = await signedIn("admin");
    await page.getByRole("link", { name: "Orgs", exact: true }).click();
    await page.getByRole("link", { name: "acme", exact: true }).click();
    await page.locator("ay-org-detail .charts[data-scheme=light]").waitFor();
    const totals = await waitFor(
      "acme's chart table to count acme's tasks",
      async () => {
        const [want, got] = await Promise.all([
          expectedTotals("acme"),
          tableTotals(page, "throughput", "ay-org-detail"),
        ]);
        return JSON.stringify(want) === JSON.stringify(got) ? got : undefined;
      },
      { timeoutMs: SEEN_MS },
    );
    // globex ran tasks too: the Org's page leaves them out.
    expect(Number(totals.Started)).toBeGreaterThan(0);
    expect(Number(totals.Started)).toBeLessThan(Number((await expectedTotals()).Started));
    for (const chart of ["throughput", "wait", "duration", "queue"]) {
      const figure = page.locator(`ay-org-detail figure[data-chart="${chart}"]`);
      expect(await figure.locator("table caption").textContent()).toContain("intervals");
    }
    expect(await inkedPixels(page, "throughput", "ay-org-detail")).toBeGreaterThan(1000);
    await page
      .locator('ay-org-detail section[aria-labelledby="recent"]')
      .screenshot({ path: join(IMAGES, "org-charts.png"), animations: "disabled" });
    await page.context().close();
  });
});

/** The element that has the keyboard focus, looking into shadow roots. */
function focused(page: Page): Promise<{ tag: string; text: string }> {
  return page.evaluate(() => {
    let el = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    return { tag: el?.tagName ?? "", text: el?.textContent?.trim() ?? "" };
  });
}

describe("from the keyboard", () => {
  it("skips to the content, and lands there after each move", async () => {
    const page = await signedIn("admin");
    expect((await focused(page)).tag).toBe("MAIN");
    // A fresh load: the first Tab reaches the skip link.
    await page.reload();
    await page.getByTestId("identity").waitFor();
    await page.keyboard.press("Tab");
    expect(await focused(page)).toEqual({ tag: "A", text: "Skip to content" });
    await page.keyboard.press("Enter");
    expect((await focused(page)).tag).toBe("MAIN");

    await page.getByRole("link", { name: "Tasks", exact: true }).focus();
    await page.keyboard.press("Enter");
    await page.waitForURL(/#\/tasks$/);
    await waitFor(
      "focus to move to the new page",
      async () => ((await focused(page)).tag === "MAIN" ? true : undefined),
      {
        timeoutMs: SEEN_MS,
      },
    );
    await page.context().close();
  });
});

describe("who may not", () => {
  it("bob, with no rights at all, is told plainly that RBAC refuses", async () => {
    const page = await signedIn("bob");
    const refusal = page.locator("ay-problem [data-status='403']");
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/Not allowed \(403\)[\s\S]*bob may not/);
    await page.context().close();
  });

  it("carol, who may only look, sees acme's tasks with Cancel and Delete disabled", async () => {
    await applyManifest(
      cluster,
      taskManifest("look-only", "org-acme", { org: "acme", prompt: "Tidy the README" }),
    );
    const page = await signedIn("carol", "/#/tasks/org-acme/look-only");
    await detailPhase(page, "Running").waitFor();
    expect(await page.locator('[data-action="cancel"]').isDisabled()).toBe(true);
    expect(await page.locator('[data-action="delete"]').isDisabled()).toBe(true);
    await page.getByRole("link", { name: "Schedule", exact: true }).click();
    expect(await page.getByRole("button", { name: "Schedule", exact: true }).isDisabled()).toBe(true);
    await page.context().close();
  });
});

describe("with authentication off, as npm start runs it", () => {
  it("opens from the printed link without sign-in, says so, and schedules as the api itself", async () => {
    const localToken = "this-run-only";
    const local = await startApi({
      kubeconfig: cluster.kubeconfigPath(),
      listen: "127.0.0.1:0",
      auth: "none",
      localToken,
      log: pino({ level: "silent" }),
    });
    try {
      const page = await browser.newPage();
      watchErrors(page);
      page.setDefaultTimeout(SEEN_MS);
      await page.goto(`${local.url}/#token=${localToken}`);
      await page.getByTestId("identity").waitFor();
      // The token moved to this tab's sessionStorage; the address bar and history no longer hold it.
      expect(page.url()).not.toContain(localToken);
      expect(await page.evaluate(() => sessionStorage.getItem("agentyard.token"))).toBe(localToken);
      await page.goto(`${local.url}/#/schedule?org=globex`);
      expect(await page.getByTestId("identity").textContent()).toContain("Authentication off");
      await page.getByLabel("Prompt").fill("Write the release notes");
      await page.getByRole("button", { name: "Schedule", exact: true }).click();
      await page.waitForURL(/#\/tasks\/org-globex\/task-/);
      await detailPhase(page, "Running").waitFor();
      await page.close();
    } finally {
      await local.close();
    }
  });
});

describe("every page visited", () => {
  it("ran without script errors or Content-Security-Policy violations", () => {
    expect(pageErrors).toEqual([]);
  });
});
