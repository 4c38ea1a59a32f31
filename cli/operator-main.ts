/**
 * `agentyard operator` alone: the entry of the operator's bundle (operator-bundle.ts), which the
 * image runs for the operator, so that its process loads the operator's code and nothing else.
 */
import { operatorCommand } from "./operator.ts";
import { runProgram } from "./program.ts";

await runProgram([operatorCommand()]);
