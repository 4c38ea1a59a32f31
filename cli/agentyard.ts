#!/usr/bin/env node
import { apiCommand } from "./api.ts";
import { crdsCommand } from "./crds.ts";
import { devCommand } from "./dev.ts";
import { operatorCommand } from "./operator.ts";
import { runProgram } from "./program.ts";
import { startCommand } from "./start.ts";
import { taskCommands } from "./tasks/commands.ts";

await runProgram([
  apiCommand(),
  crdsCommand(),
  devCommand(),
  operatorCommand(),
  startCommand(),
  ...taskCommands(),
]);
