import { Command } from "commander";

/** Runs the `agentyard` program with `commands`; a failure is one line on stderr and exit code 1. */
export async function runProgram(commands: readonly Command[]): Promise<void> {
  const program = new Command("agentyard")
    .description("runs coding agents for many organizations on Kubernetes")
    .showHelpAfterError();
  for (const command of commands) program.addCommand(command);
  try {
    await program.parseAsync();
  } catch (err) {
    process.stderr.write(`agentyard: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
