import type { Settings } from '../config/settings';
import { CliError } from '../cli-error';
import { ApiError, unreachable } from './api-error';
import { isForwardJson, parseErrorBody, type ForwardJson } from './forward-json';

/** How long one API call may take; the server answers in milliseconds when it is well. */
const REQUEST_TIMEOUT_MS = 30_000;

export interface CreateForwardRequest {
  readonly container_port: number;
  readonly local_port?: number;
  readonly name?: string;
  readonly custom_domain?: string;
}

/** A one-time browser link, as `POST .../links` answers. */
export interface BrowserLink {
  readonly url: string;
  /** The same link on the forward's custom domain, when it has one. */
  readonly custom_domain_url?: string;
  readonly expires_at: string;
}

/** The REST API of README "API", as the CLI uses it. Every failure is a CliError. */
export class PortholeApi {
  constructor(
    private readonly settings: Settings,
    private readonly signal?: AbortSignal,
  ) {}

  async createForward(container: string, request: CreateForwardRequest): Promise<ForwardJson> {
    const body = await this.call('POST', forwardsPath(container), request, 'creating the forward');
    if (!isForwardJson(body)) throw this.unexpected('creating the forward');
    return body;
  }

  async listForwards(container: string): Promise<ForwardJson[]> {
    const body = await this.call('GET', forwardsPath(container), undefined, 'listing forwards');
    if (!Array.isArray(body) || !body.every(isForwardJson)) throw this.unexpected('listing forwards');
    return body;
  }

  /** `PATCH .../port-forwards/:id`: gives the forward a custom domain, or takes it away (null). */
  async setCustomDomain(container: string, forwardId: string, domain: string | null): Promise<ForwardJson> {
    const what = domain === null ? 'clearing the custom domain' : 'setting the custom domain';
    const body = await this.call('PATCH', forwardPath(container, forwardId), { custom_domain: domain }, what);
    if (!isForwardJson(body)) throw this.unexpected(what);
    return body;
  }

  async createLink(container: string, forwardId: string): Promise<BrowserLink> {
    const body = await this.call('POST', `${forwardPath(container, forwardId)}/links`, undefined, 'issuing a link');
    const link = body as Partial<BrowserLink> | undefined;
    if (typeof link?.url !== 'string' || typeof link.expires_at !== 'string') throw this.unexpected('issuing a link');
    const customDomainUrl = link.custom_domain_url;
    return {
      url: link.url,
      ...(typeof customDomainUrl === 'string' ? { custom_domain_url: customDomainUrl } : {}),
      expires_at: link.expires_at,
    };
  }

  async deleteForward(container: string, forwardId: string): Promise<void> {
    await this.call('DELETE', forwardPath(container, forwardId), undefined, 'removing the forward');
  }

  /**
   * Resolves when the server is Porthole and takes the token. There is no "who am I"
   * route, but every `/api` route authenticates before it routes, so a bare `GET /api/`
   * answers 401 to a bad token and 404 `route_not_found` to a good one, without touching
   * any container.
   */
  async verifyLogin(): Promise<void> {
    const response = await this.send('GET', '/api/', undefined);
    const text = await response.text();
    if (response.status === 404 && parseErrorBody(text)?.code === 'route_not_found') return;
    if (response.status === 401) {
      throw new ApiError(401, parseErrorBody(text)?.code, `Porthole at ${this.settings.url} does not accept this token`);
    }
    throw new CliError(`${this.settings.url} does not look like Porthole (GET /api/ answered ${response.status})`);
  }

  private async call(method: string, path: string, body: unknown, what: string): Promise<unknown> {
    const response = await this.send(method, path, body);
    const text = await response.text();
    if (!response.ok) throw ApiError.fromResponse(response.status, response.statusText, text, what);
    if (text === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw this.unexpected(what);
    }
  }

  private async send(method: string, path: string, body: unknown): Promise<Response> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.settings.token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    try {
      return await fetch(`${this.settings.url}${path}`, {
        method,
        headers,
        body: body === undefined ? null : JSON.stringify(body),
        signal: this.signal === undefined ? timeout : AbortSignal.any([this.signal, timeout]),
        redirect: 'error',
      });
    } catch (error) {
      if (this.signal?.aborted === true) throw new CliError('interrupted');
      throw unreachable(this.settings.url, error);
    }
  }

  private unexpected(what: string): CliError {
    return new CliError(`${what} failed: ${this.settings.url} answered with something that is not Porthole's API`);
  }
}

function forwardsPath(container: string): string {
  return `/api/containers/${encodeURIComponent(container)}/port-forwards`;
}

function forwardPath(container: string, forwardId: string): string {
  return `${forwardsPath(container)}/${encodeURIComponent(forwardId)}`;
}
