import type { PortForward } from '@porthole/core';
import type { PublicUrls } from '../public-urls';

/** A forward as the API shows it (DESIGN.md §1). Internal fields stay internal. */
export interface ForwardJson {
  readonly id: string;
  readonly container_id: string;
  readonly container_port: number;
  readonly local_port: number;
  readonly name: string | null;
  /** The forward also answers at `<scheme>://<custom_domain>/` (Host-routed), or null. */
  readonly custom_domain: string | null;
  readonly proxy_url: string;
  readonly websocket_url: string;
  readonly created_at: string;
}

export function toForwardJson(forward: PortForward, urls: PublicUrls): ForwardJson {
  return {
    id: forward.id,
    container_id: forward.containerId,
    container_port: forward.containerPort,
    local_port: forward.localPort,
    name: forward.name,
    custom_domain: forward.customDomain,
    proxy_url: urls.proxyUrl(forward.id),
    websocket_url: urls.websocketUrl(forward.id),
    created_at: forward.createdAt.toISOString(),
  };
}
