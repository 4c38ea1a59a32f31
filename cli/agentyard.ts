#!/usr/bin/env node
import { Command } from "commander";
import { apiCommand } from "./api.ts";
import { crdsCommand } from "./crds.ts";
import { devCommand } from "./dev.ts";
import { operatorCommand } from "./operator.ts";
import { startCommand } from "./start.ts";
import { taskCommands } from "./tasks/commands.ts";

const program = new Command("agentyard")
  .description("runs coding agents for many organizations on Kubernetes")
  .showHelpAfterError();

program.addCommand(apiCommand());
program.addCommand(crdsCommand());
program.addCommand(devCommand());
program.addCommand(operatorCommand());
program.addCommand(startCommand());
for (const command of taskCommands()) program.addCommand(command);

try {
  await program.parseAsync();
} catch (err) {
  process.stderr.write(`agentyard: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
