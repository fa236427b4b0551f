/**
 * Links handed to clients are built from the configured public base URL, never from the
 * request's Host header (which a client controls).
 */
export class PublicUrls {
  private readonly base: URL;

  constructor(publicUrl: string) {
    this.base = new URL(publicUrl);
    if (!this.base.pathname.endsWith('/')) this.base.pathname += '/';
  }

  get isSecure(): boolean {
    return this.base.protocol === 'https:';
  }

  proxyUrl(forwardId: string): string {
    return new URL(`p/${forwardId}/`, this.base).toString();
  }

  websocketUrl(forwardId: string): string {
    const url = new URL(`ws/port-forward/${forwardId}`, this.base);
    url.protocol = this.isSecure ? 'wss:' : 'ws:';
    return url.toString();
  }
}
