/**
 * What Porthole prints on start: where it listens and, when it made up the admin token,
 * the token itself with a line to paste (as Jupyter prints its token URL). Printed once:
 * the token is not logged anywhere else.
 */
export function startupBanner(options: {
  url: string;
  publicUrl: string;
  adminToken: string;
  generated: boolean;
  previewDomain?: string | undefined;
  /** Where forwards are kept: the database file, or `:memory:`. */
  store?: string;
}): string {
  const lines = ['', `  Porthole is listening on ${options.url}`];
  if (options.store !== undefined) {
    lines.push(options.store === ':memory:' ? '  Forwards are kept in memory only (PORTHOLE_DATA_DIR=:memory:)' : `  Forwards are kept in ${options.store}`);
  }
  if (options.publicUrl !== options.url) lines.push(`  Public URL: ${options.publicUrl}`);
  if (options.previewDomain !== undefined) {
    lines.push(`  Subdomain mode: forwards answer at pf-<id>.${options.previewDomain} (proxy_url uses it)`);
  }
  if (options.generated) {
    lines.push(
      '',
      '  No PORTHOLE_ADMIN_TOKEN was set, so this one was generated for this run:',
      '',
      `      ${options.adminToken}`,
      '',
      '  Try it:',
      `      curl -H "Authorization: Bearer ${options.adminToken}" ${options.publicUrl}/api/containers/<container>/port-forwards`,
      '',
      '  Set PORTHOLE_ADMIN_TOKEN to keep the same token across restarts.',
    );
  }
  lines.push('');
  return lines.join('\n');
}
