/**
 * How the operator names itself: in every request (user agent), in managedFields (field manager),
 * in its Events (reporting controller), its metric names and its log lines. The runtime takes
 * these as options; they are the operator's, not the runtime's.
 */
export const OPERATOR_IDENTITY = {
  userAgent: "agentyard-operator",
  fieldManager: "agentyard",
  reportingController: "agentyard.dev/operator",
  metricPrefix: "agentyard",
  logName: "agentyard",
} as const;
