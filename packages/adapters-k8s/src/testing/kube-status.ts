import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** A `Status` body as the kube-apiserver sends it with every failure. */
export interface KubeStatus {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Failure';
  readonly message: string;
  readonly reason: string;
  readonly details?: { readonly name?: string; readonly kind?: string };
  readonly code: number;
}

export function kubeStatus(code: number, reason: string, message: string, details?: KubeStatus['details']): KubeStatus {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details && { details }), code };
}

export const unauthorized = (): KubeStatus => kubeStatus(401, 'Unauthorized', 'Unauthorized');

export const podNotFound = (name: string): KubeStatus => kubeStatus(404, 'NotFound', `pods "${name}" not found`, { name, kind: 'pods' });

export const noSuchResource = (): KubeStatus => kubeStatus(404, 'NotFound', 'the server could not find the requested resource');

export const badRequest = (message: string): KubeStatus => kubeStatus(400, 'BadRequest', message);

/** 410 with reason Expired, as the watch cache and etcd report a compacted resourceVersion. */
export const expired = (message: string): KubeStatus => kubeStatus(410, 'Expired', message);

/** The RBAC authorizer's wording (k8s.io/apiserver endpoints/handlers/responsewriters). */
export function forbidden(user: string, verb: string, resource: string, namespace: string, name?: string): KubeStatus {
  const where = namespace === '' ? 'at the cluster scope' : `in the namespace "${namespace}"`;
  const why = `User "${user}" cannot ${verb} resource "${resource}" in API group "" ${where}`;
  const what = name === undefined ? 'pods' : `pods "${name}"`;
  return kubeStatus(403, 'Forbidden', `${what} is forbidden: ${why}`, { ...(name !== undefined && { name }), kind: 'pods' });
}

export function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  // client-node parses a body only with this content type (recipe: "Cannot parse content").
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendStatus(res: ServerResponse, status: KubeStatus): void {
  sendJson(res, status.code, status);
}

/** Answers an upgrade request with a plain HTTP error, before any WebSocket exists. */
export function refuseUpgrade(socket: Duplex, status: KubeStatus): void {
  const body = JSON.stringify(status);
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status.code} ${STATUS_CODES[status.code] ?? ''}\r\n` +
      'Content-Type: application/json\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
