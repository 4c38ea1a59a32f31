import {
  applyStatus,
  type ClusterClient,
  type EventRecorder,
  type ReconcileResult,
  type Resource,
} from "@agentyard/kube-runtime";
import { API_VERSION } from "../../schema/index.ts";
import {
  type EventRule,
  type Reported,
  type ReportedStatus,
  type StatusReport,
  statusChange,
} from "../status/status-change.ts";

export interface StatusReporterOptions<S> {
  local: ClusterClient;
  events: EventRecorder;
  /** The kind whose status subresource is written. */
  kind: string;
  eventFor: EventRule<S>;
  now: () => Date;
}

type ReportedObject<S extends ReportedStatus> = Resource & Reported<S>;

/**
 * The last step of a reconcile: writes the status through the status subresource only when it
 * changed, then the Event the kind's rule chooses for the change, and says when to look again.
 */
export class StatusReporter<S extends ReportedStatus> {
  private readonly o: StatusReporterOptions<S>;

  constructor(options: StatusReporterOptions<S>) {
    this.o = options;
  }

  /** `signal` is the reconcile's: neither write is sent once it aborted. */
  async report(
    obj: ReportedObject<S>,
    report: StatusReport<S>,
    signal: AbortSignal,
  ): Promise<ReconcileResult> {
    const change = statusChange(obj, report, this.o.eventFor, this.o.now());
    if (change) {
      const { name, namespace } = obj.metadata;
      await applyStatus(
        this.o.local,
        {
          apiVersion: API_VERSION,
          kind: this.o.kind,
          metadata: { name: name as string, ...(namespace ? { namespace } : {}) },
          status: change.status,
        },
        { signal },
      );
      if (change.event) {
        const { type, reason, note } = change.event;
        await this.o.events.event(obj, { type, reason, action: "Reconcile", note, signal });
      }
    }
    return report.requeueAfterMs !== undefined ? { requeueAfterMs: report.requeueAfterMs } : undefined;
  }
}
