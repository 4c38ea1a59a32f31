/** An RFC 9457 problem the api answered, or one the dashboard made for a failure of its own. */
export interface ProblemBody {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  errors?: string[];
}

export class ApiProblem extends Error {
  readonly status: number;
  readonly title: string;
  readonly errors: string[];

  constructor(body: ProblemBody) {
    super(body.detail || body.title || `the api answered ${body.status}`);
    this.name = "ApiProblem";
    this.status = body.status;
    this.title = body.title ?? "Error";
    this.errors = body.errors ?? [];
  }

  get forbidden(): boolean {
    return this.status === 403;
  }
}

/** A network failure (the api is down, the connection dropped) as a problem the page can show. */
export function unreachable(err: unknown): ApiProblem {
  return new ApiProblem({
    status: 0,
    title: "The api did not answer",
    detail: `the api did not answer: ${err instanceof Error ? err.message : String(err)}`,
  });
}

export function asProblem(err: unknown): ApiProblem {
  return err instanceof ApiProblem ? err : unreachable(err);
}

/**
 * The api names every invalid field as `<field path>: <message>`, e.g.
 * `task.repo.url: must be a git URL`. Groups the messages by path; `<root>` is the request as a whole.
 */
export function fieldErrors(errors: readonly string[]): Map<string, string[]> {
  const byField = new Map<string, string[]>();
  for (const line of errors) {
    const at = line.indexOf(": ");
    const [field, message] = at > 0 ? [line.slice(0, at), line.slice(at + 2)] : ["<root>", line];
    byField.set(field, [...(byField.get(field) ?? []), message]);
  }
  return byField;
}
