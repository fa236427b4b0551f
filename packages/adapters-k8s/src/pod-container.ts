import type { RuntimeContainer } from '@porthole/core';
import type { V1Pod } from '@kubernetes/client-node';

/**
 * A platform that recreates its sandboxes' pods gives each sandbox a stable id in this
 * label; `:containerId` names the pod that carries it, whatever the pod is called today.
 */
export const CONTAINER_ID_LABEL = 'porthole.dev/container-id';
/** Who may forward the pod's ports, as for Docker containers. */
export const OWNER_LABEL = 'porthole.owner';

// A label value (Kubernetes' own rule): at most 63 characters, alphanumeric at both ends.
// Anything else is never put into a label selector, so a reference cannot widen a query.
const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)$/;
// A pod name (RFC 1123 subdomain).
const POD_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;

export function isLabelValue(value: string): boolean {
  return LABEL_VALUE.test(value);
}

export function isPodName(value: string): boolean {
  return POD_NAME.test(value);
}

/**
 * The id Porthole reports for the pod (`container_id`): its container-id label when it
 * has one, else its name. Dialing looks the pod up by this id again, so a recreated pod
 * under the same label or name is found, and told apart by its uid (the incarnation).
 */
export function canonicalIdOf(pod: V1Pod): string {
  const label = pod.metadata?.labels?.[CONTAINER_ID_LABEL];
  return label !== undefined && isLabelValue(label) ? label : (pod.metadata?.name ?? '');
}

/** Being deleted, or finished: this life of the pod is over, whatever else it says. */
export function isTerminated(pod: V1Pod): boolean {
  const phase = pod.status?.phase;
  return pod.metadata?.deletionTimestamp != null || phase === 'Succeeded' || phase === 'Failed';
}

/** The runtime's word for the pod's state, for messages. */
export function podState(pod: V1Pod): string {
  if (pod.metadata?.deletionTimestamp != null) return 'terminating';
  const phase = (pod.status?.phase ?? 'Unknown').toLowerCase();
  if (phase === 'running' && !allContainersReady(pod)) return 'running, not ready';
  return phase;
}

function allContainersReady(pod: V1Pod): boolean {
  const statuses = pod.status?.containerStatuses ?? [];
  return statuses.length > 0 && statuses.every((status) => status.ready);
}

/**
 * Running means: phase Running, not being deleted, and every container ready. Pending,
 * finished, terminating or unready pods get no new forwards (409).
 */
export function isPodRunning(pod: V1Pod): boolean {
  return pod.status?.phase === 'Running' && !isTerminated(pod) && allContainersReady(pod);
}

/**
 * Which life of the pod this is. A pod's uid is new with every pod: a pod recreated under
 * the same name or label is a new life, and its old forwards are not dialed. Unlike a
 * Docker container's, a pod's labels can change: a new owner label hands the pod to
 * someone else, which is a new life too, so the forwards made for the old owner end.
 */
export function incarnationOf(pod: V1Pod): string {
  const uid = pod.metadata?.uid ?? '';
  const owner = pod.metadata?.labels?.[OWNER_LABEL];
  return owner === undefined ? uid : `${uid}/${owner}`;
}

export function toRuntimeContainer(pod: V1Pod): RuntimeContainer {
  return {
    id: canonicalIdOf(pod),
    name: pod.metadata?.name ?? '',
    running: isPodRunning(pod),
    // Kubernetes has no pause.
    paused: false,
    state: podState(pod),
    incarnation: incarnationOf(pod),
    owner: pod.metadata?.labels?.[OWNER_LABEL] ?? null,
  };
}
