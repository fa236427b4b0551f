import { previewLabel } from './browser/preview-host';

/**
 * Links handed to clients are built from the configured public base URL, never from the
 * request's Host header (which a client controls).
 */
export class PublicUrls {
  private readonly base: URL;

  constructor(
    publicUrl: string,
    /** Subdomain mode: proxy URLs are `<scheme>://<label>.<previewDomain>[:port]/`. */
    private readonly previewDomain?: string,
  ) {
    this.base = new URL(publicUrl);
    if (!this.base.pathname.endsWith('/')) this.base.pathname += '/';
  }

  get isSecure(): boolean {
    return this.base.protocol === 'https:';
  }

  proxyUrl(forwardId: string): string {
    if (this.previewDomain !== undefined) {
      // Scheme and port of the public URL: one listener serves both modes.
      const port = this.base.port === '' ? '' : `:${this.base.port}`;
      return `${this.base.protocol}//${previewLabel(forwardId)}.${this.previewDomain}${port}/`;
    }
    return new URL(`p/${forwardId}/`, this.base).toString();
  }

  /** A forward's custom domain, with the public URL's scheme and port (one listener serves all). */
  customDomainUrl(domain: string): string {
    const port = this.base.port === '' ? '' : `:${this.base.port}`;
    return `${this.base.protocol}//${domain}${port}/`;
  }

  websocketUrl(forwardId: string): string {
    const url = new URL(`ws/port-forward/${forwardId}`, this.base);
    url.protocol = this.isSecure ? 'wss:' : 'ws:';
    return url.toString();
  }
}
