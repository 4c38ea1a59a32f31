/**
 * An Org's warm pool (spec.warmPool): agent pods started before their task, each waiting for the
 * operator to bind one. The operator makes the members and binds them; the runtime in a member
 * waits for its binding and then runs the task it names, as if its pod had been made for it.
 */

/**
 * On a member pod and on everything made for it (ServiceAccount, Role, RoleBinding, editor Secret,
 * binding ConfigMap): the member's name. A claimed pod keeps it, so the task finds what it bound.
 */
export const LABEL_WARM_MEMBER = "agentyard.dev/warm-member";

/**
 * On an idle member pod: a hash of the pod spec the Org's template renders. A member whose hash is
 * not the Org's current one is replaced while idle; a claimed one runs on.
 */
export const ANNOTATION_WARM_TEMPLATE = "agentyard.dev/warm-template";

/**
 * In a member's containers: the name of its binding ConfigMap, in AGENTYARD_NAMESPACE. A container
 * started with it waits until the ConfigMap holds its key, then runs with those variables added to
 * its environment.
 */
export const BINDING_ENV = "AGENTYARD_BINDING";

/**
 * The binding ConfigMap's keys: each a JSON object of variable name → value, for the agent
 * container and for the git container. Only the operator writes it; the member's ServiceAccount may
 * read this one ConfigMap and no other until it is bound.
 */
export const BINDING_KEY = { agent: "agent", git: "git" } as const;

/** The objects of one pool member, all in the Org's namespace. */
export const warmMemberNames = (member: string) => ({
  pod: member,
  serviceAccount: member,
  role: member,
  roleBinding: member,
  editorSecret: `${member}-editor`,
  binding: `${member}-binding`,
});
