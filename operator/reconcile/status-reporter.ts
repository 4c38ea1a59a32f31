import {
  applyStatus,
  type ClusterClient,
  type EventRecorder,
  objectKey,
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
 *
 * It remembers each status it wrote until the cache shows that write: an object is often
 * reconciled again before its watch event comes back (its children's events wake it at once), and
 * a reconcile that read the older cached copy would decide again what it already did (start the
 * task anew) and write it again.
 */
export class StatusReporter<S extends ReportedStatus> {
  private readonly o: StatusReporterOptions<S>;
  /** By object key: the status written, and the resourceVersion of the cached copy it was decided from. */
  private readonly written = new Map<string, { resourceVersion: string | undefined; status: S }>();

  constructor(options: StatusReporterOptions<S>) {
    this.o = options;
  }

  /** The cached `obj`, with the status last written here while the cache has not caught up with that write. */
  latest<T extends ReportedObject<S>>(obj: T): T {
    const key = objectKey(obj);
    const own = this.written.get(key);
    if (!own) return obj;
    if (own.resourceVersion !== obj.metadata.resourceVersion) {
      this.written.delete(key);
      return obj;
    }
    return { ...obj, status: own.status };
  }

  /** Drops what was remembered of an object that is gone. */
  forget(key: string): void {
    this.written.delete(key);
  }

  /** `signal` is the reconcile's: neither write is sent once it aborted. */
  async report(
    obj: ReportedObject<S>,
    report: StatusReport<S>,
    signal: AbortSignal,
  ): Promise<ReconcileResult> {
    const change = statusChange(obj, report, this.o.eventFor, this.o.now());
    if (change) {
      const { name, namespace, resourceVersion } = obj.metadata;
      const live = await applyStatus(
        this.o.local,
        {
          apiVersion: API_VERSION,
          kind: this.o.kind,
          metadata: { name: name as string, ...(namespace ? { namespace } : {}) },
          status: change.status,
        },
        { signal },
      );
      this.written.set(objectKey(obj), { resourceVersion, status: live.status ?? change.status });
      if (change.event) {
        const { type, reason, note } = change.event;
        await this.o.events.event(obj, { type, reason, action: "Reconcile", note, signal });
      }
    }
    return report.requeueAfterMs !== undefined ? { requeueAfterMs: report.requeueAfterMs } : undefined;
  }
}
