import { describe, expect, it } from "vitest";
import { href, parseRoute, type Route } from "./router.ts";

describe("routes", () => {
  const routes: [string, Route][] = [
    ["#/", { page: "overview" }],
    ["#/orgs", { page: "orgs" }],
    ["#/orgs/acme", { page: "org", name: "acme" }],
    ["#/tasks", { page: "tasks" }],
    ["#/tasks?org=acme&phase=Running", { page: "tasks", org: "acme", phase: "Running" }],
    ["#/tasks/org-acme/fix-it", { page: "task", namespace: "org-acme", name: "fix-it" }],
    ["#/schedule?org=acme", { page: "schedule", org: "acme" }],
  ];

  it.each(routes)("%s round-trips", (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
    expect(href(route)).toBe(hash);
  });

  it("sends anything unknown to the overview", () => {
    expect(parseRoute("")).toEqual({ page: "overview" });
    expect(parseRoute("#/nowhere")).toEqual({ page: "overview" });
  });
});
