import { GROUP } from "../api.ts";
import { ANNOTATION_CREATED_BY, ANNOTATION_CREATED_BY_UID } from "./labels.ts";

/**
 * The admission rule that makes an AgentTask's creator annotations true: on create they may only
 * name the user who sends the request (the api impersonates its caller, so that is the caller),
 * and no update may add, change or remove them. Without it anyone allowed to create tasks could
 * write another user's name there and be handed that user's Idempotency-Key retries.
 * The chart, the cdk8s app and the devcluster install these objects as they are.
 */

const annotations = (of: string) => `(has(${of}.metadata.annotations) ? ${of}.metadata.annotations : {})`;

function sameOnUpdate(key: string): string {
  const now = annotations("object");
  const before = annotations("oldObject");
  return `request.operation != 'UPDATE' || ((${JSON.stringify(key)} in ${now}) == (${JSON.stringify(key)} in ${before}) && (!(${JSON.stringify(key)} in ${now}) || ${now}[${JSON.stringify(key)}] == ${before}[${JSON.stringify(key)}]))`;
}

export interface AdmissionObjects {
  policy: Record<string, unknown>;
  binding: Record<string, unknown>;
}

export function taskCreatorPolicy(name: string, metadata: Record<string, unknown> = {}): AdmissionObjects {
  const now = annotations("object");
  const user = JSON.stringify(ANNOTATION_CREATED_BY);
  const uid = JSON.stringify(ANNOTATION_CREATED_BY_UID);
  return {
    policy: {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicy",
      metadata: { ...metadata, name },
      spec: {
        failurePolicy: "Fail",
        matchConstraints: {
          resourceRules: [
            {
              apiGroups: [GROUP],
              apiVersions: ["*"],
              resources: ["agenttasks"],
              operations: ["CREATE", "UPDATE"],
            },
          ],
        },
        validations: [
          {
            expression: `request.operation != 'CREATE' || !(${user} in ${now}) || ${now}[${user}] == request.userInfo.username`,
            message: `${ANNOTATION_CREATED_BY} must be the username of whoever creates the task`,
            reason: "Forbidden",
          },
          {
            expression: `request.operation != 'CREATE' || !(${uid} in ${now}) || (has(request.userInfo.uid) && ${now}[${uid}] == request.userInfo.uid)`,
            message: `${ANNOTATION_CREATED_BY_UID} must be the uid of whoever creates the task`,
            reason: "Forbidden",
          },
          {
            expression: sameOnUpdate(ANNOTATION_CREATED_BY),
            message: `${ANNOTATION_CREATED_BY} is set when the task is created and never changes`,
            reason: "Forbidden",
          },
          {
            expression: sameOnUpdate(ANNOTATION_CREATED_BY_UID),
            message: `${ANNOTATION_CREATED_BY_UID} is set when the task is created and never changes`,
            reason: "Forbidden",
          },
        ],
      },
    },
    binding: {
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingAdmissionPolicyBinding",
      metadata: { ...metadata, name },
      spec: { policyName: name, validationActions: ["Deny"] },
    },
  };
}
