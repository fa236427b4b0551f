/**
 * A forward as the REST API sends it (README, "API"). The CLI keeps its own copy of the
 * wire shape rather than importing the server's: it is a client of the documented
 * contract, and must keep working against any server that speaks it.
 */
export interface ForwardJson {
  readonly id: string;
  readonly container_id: string;
  readonly container_port: number;
  readonly local_port: number;
  readonly name: string | null;
  /**
   * The host name the forward also answers on (README "Custom domains"), or null. Absent
   * from servers older than custom domains, which is the same as null.
   */
  readonly custom_domain?: string | null;
  readonly proxy_url: string;
  readonly websocket_url: string;
  readonly created_at: string;
}

/** The one error shape of every Porthole answer: `{"error": {"code", "message"}}`. */
export interface ErrorJson {
  readonly code: string;
  readonly message: string;
}

export function isForwardJson(value: unknown): value is ForwardJson {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v['id'] === 'string' &&
    typeof v['container_id'] === 'string' &&
    typeof v['container_port'] === 'number' &&
    typeof v['local_port'] === 'number' &&
    (typeof v['name'] === 'string' || v['name'] === null) &&
    (typeof v['custom_domain'] === 'string' || v['custom_domain'] === null || v['custom_domain'] === undefined) &&
    typeof v['created_at'] === 'string'
  );
}

/** The error of a Porthole error body, or undefined when the text is something else. */
export function parseErrorBody(text: string): ErrorJson | undefined {
  try {
    const error = (JSON.parse(text) as { error?: Partial<ErrorJson> } | null)?.error;
    if (typeof error?.code === 'string' && typeof error.message === 'string') return { code: error.code, message: error.message };
  } catch {
    // Not JSON: a reverse proxy's page, or not Porthole at all.
  }
  return undefined;
}
