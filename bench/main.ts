/**
 * The benchmark suite: `npm run bench` runs burst, memory, restart, rest, live and warm at their default sizes;
 * `npm run bench -- burst --tasks 100,1000` one benchmark at the sizes given; `npm run bench --
 * smoke` the CI check. Each benchmark starts a devcluster of its own and the operator as a process;
 * results are printed and prepended to docs/benchmarks.md (not with --no-record, nor for smoke).
 */
import { Command, Option } from "commander";
import { burstNotes, burstTable, runBurst } from "./burst.ts";
import { liveNotes, liveTable, runLive } from "./live.ts";
import { memoryTable, NO_PODS, runMemory } from "./memory.ts";
import { appendToBenchmarks, renderSection, type Section } from "./report.ts";
import { restNotes, restTable, runRest } from "./rest.ts";
import { RESTART_WINDOW_MS, restartTable, runRestart } from "./restart.ts";
import { parseLimit, parsePositive, parseSizes } from "./sizes.ts";
import { runSmoke, SMOKE_LIMITS, SMOKE_TASKS, smokeFailures } from "./smoke.ts";
import { runWarmPool, warmPoolNotes, warmPoolTable } from "./warm-pool.ts";

interface CommonFlags {
  record: boolean;
}

const RESTART_NOTE = `The operator process is stopped with SIGTERM (it releases its Lease) and a new one started; caches synced = its /readyz answers 200 (the health server starts once every informer has listed). Writes: the new process's, Lease renewals left out, from its spawn until ${RESTART_WINDOW_MS / 1000} s after it led. Reconciles: its agentyard_reconcile_duration_seconds_count for the agenttask controller, which shows it did look at every task.`;
const MEMORY_RESTART_NOTE =
  "The memory benchmark's world at its largest size: the controller-manager stopped, every task Starting with its children applied and no pod, unchanged since the operator's writes settled.";

const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`;

async function publish(section: Omit<Section, "command">, flags: CommonFlags): Promise<void> {
  const text = renderSection({ ...section, command });
  process.stdout.write(`${text}\n`);
  if (flags.record) await appendToBenchmarks(text);
}

async function burst(sizes: number[], flags: CommonFlags & { concurrency: number }): Promise<void> {
  for (const n of sizes) {
    const result = await runBurst(n, flags.concurrency);
    await publish({ title: `Burst, N = ${n}`, table: burstTable(result), notes: burstNotes(result) }, flags);
  }
}

async function memory(sizes: number[], flags: CommonFlags & { concurrency: number }): Promise<void> {
  const { points, restart } = await runMemory(sizes, flags.concurrency);
  await publish(
    {
      title: `Operator memory, 0 to ${Math.max(...sizes)} tasks`,
      table: memoryTable(points),
      notes: [
        "The controller-manager is stopped for this run: the operator renders and applies every task's children (Deployment, Service, ConfigMap, Secret, ServiceAccount, Role, RoleBinding) and caches them, but no ReplicaSet or pod is made, so 10,000 tasks fit on the machine. Pods the operator would cache are not in these figures; the burst table has RSS with pods.",
        "RSS from /proc/<pid>/status of the `agentyard operator` process: VmRSS once the operator's writes have settled for 3 s, VmHWM its peak since it started.",
      ],
    },
    flags,
  );
  await publish(
    {
      title: `Restart with N = ${restart.count} tasks ${NO_PODS}`,
      table: restartTable(restart),
      notes: [RESTART_NOTE, MEMORY_RESTART_NOTE],
    },
    flags,
  );
}

async function rest(requests: number, inFlight: number[], flags: CommonFlags): Promise<void> {
  const result = await runRest(requests, inFlight);
  await publish(
    {
      title: `POST /schedule, ${requests} requests at ${inFlight.join(", ")} in flight`,
      table: restTable(result),
      notes: restNotes(result),
    },
    flags,
  );
}

async function live(clients: number, writes: number, flags: CommonFlags): Promise<void> {
  const result = await runLive(clients, writes);
  await publish(
    { title: `Live events to ${clients} SSE clients`, table: liveTable(result), notes: liveNotes(result) },
    flags,
  );
}

async function restart(sizes: number[], flags: CommonFlags & { concurrency: number }): Promise<void> {
  for (const n of sizes) {
    const result = await runRestart(n, flags.concurrency);
    await publish(
      {
        title: `Restart with N = ${n} tasks Running`,
        table: restartTable(result),
        notes: [RESTART_NOTE],
      },
      flags,
    );
  }
}

async function warm(size: number, flags: CommonFlags): Promise<void> {
  const result = await runWarmPool(size);
  await publish(
    {
      title: `Warm pool of ${size}, a burst of ${size} tasks`,
      table: warmPoolTable(result),
      notes: warmPoolNotes(result),
    },
    flags,
  );
}

const tasksOption = (defaults: string) =>
  new Option("--tasks <n,...>", "sizes to run, comma-separated")
    .default(parseSizes(defaults), defaults)
    .argParser(parseSizes);

function withRecord(cmd: Command): Command {
  return cmd.option("--no-record", "print results without adding them to docs/benchmarks.md");
}

function withCommon(cmd: Command): Command {
  return withRecord(cmd).addOption(
    new Option("--concurrency <n>", "creates in flight").default(10).argParser(parsePositive),
  );
}

const positive = (flag: string, description: string, value: number) =>
  new Option(flag, description).default(value).argParser(parsePositive);

const program = new Command("bench").description("agentyard's benchmarks (docs/benchmarks.md)");
program.addCommand(
  withCommon(new Command("burst"))
    .description("N AgentTasks to Running, against three baselines, with writes per component")
    .addOption(tasksOption("100"))
    .action((flags) => burst(flags.tasks, flags)),
);
program.addCommand(
  withCommon(new Command("memory"))
    .description("the operator's RSS at 0 tasks and at each size")
    .addOption(tasksOption("1000"))
    .action((flags) => memory(flags.tasks, flags)),
);
program.addCommand(
  withCommon(new Command("restart"))
    .description("restart the operator with N tasks Running: time to synced caches, writes after")
    .addOption(tasksOption("100"))
    .action((flags) => restart(flags.tasks, flags)),
);
program.addCommand(
  withRecord(new Command("rest"))
    .description("POST /schedule against raw AgentTask creates by the same user, at each number in flight")
    .addOption(positive("--requests <n>", "requests of each kind at each number in flight", 200))
    .addOption(
      new Option("--in-flight <n,...>", "requests in flight, comma-separated")
        .default(parseSizes("1,8,32"), "1,8,32")
        .argParser(parseSizes),
    )
    .action((flags) => rest(flags.requests, flags.inFlight, flags)),
);
program.addCommand(
  withRecord(new Command("live"))
    .description("SSE clients of the api: from a status write to its delivery, against a watch")
    .addOption(positive("--clients <n>", "event streams held open", 100))
    .addOption(positive("--writes <n>", "status writes, one after another", 50))
    .action((flags) => live(flags.clients, flags.writes, flags)),
);
program.addCommand(
  withRecord(new Command("warm"))
    .description("a burst the size of a full warm pool to Running, against the same burst without a pool")
    .addOption(positive("--size <n>", "members in the pool, and tasks in each burst", 20))
    .action((flags) => warm(flags.size, flags)),
);
program.addCommand(
  withCommon(new Command("smoke"))
    .description(`CI: ${SMOKE_TASKS} tasks; fails when writes per task or restart writes exceed their limits`)
    .addOption(
      new Option("--max-writes-per-task <n>", "operator writes per task allowed")
        .default(SMOKE_LIMITS.writesPerTask)
        .argParser(parseLimit),
    )
    .addOption(
      new Option("--max-restart-writes <n>", "writes allowed after a restart of an unchanged world")
        .default(SMOKE_LIMITS.restartWrites)
        .argParser(parseLimit),
    )
    .action(async (flags) => {
      const failures = smokeFailures(await runSmoke(flags.concurrency), {
        writesPerTask: flags.maxWritesPerTask,
        restartWrites: flags.maxRestartWrites,
      });
      for (const failure of failures) process.stderr.write(`bench smoke: ${failure}\n`);
      if (failures.length > 0) process.exitCode = 1;
    }),
);
program.addCommand(
  withCommon(new Command("all"))
    .description(
      "burst (N = 100), memory (0 and 1,000 tasks), restart (N = 100), rest (1, 8, 32 in flight), live (100 clients) and warm (a pool of 20)",
    )
    .action(async (flags) => {
      await burst([100], flags);
      await memory([1000], flags);
      await restart([100], flags);
      await rest(200, [1, 8, 32], flags);
      await live(100, 50, flags);
      await warm(20, flags);
    }),
  { isDefault: true },
);

try {
  await program.parseAsync();
} catch (err) {
  process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
}
