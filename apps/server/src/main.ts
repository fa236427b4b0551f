import { ConfigError, parseConfig } from './config';
import { startupBanner } from './banner';
import { createLogger } from './logger';
import { startPorthole } from './porthole-server';
import { StartupError } from './runtime-selection';

/** The process: configuration, start, banner, graceful stop on SIGTERM/SIGINT. */
async function main(): Promise<void> {
  let config;
  try {
    config = parseConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`porthole: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);

  let running;
  try {
    running = await startPorthole(config, { logger });
  } catch (error) {
    if (error instanceof StartupError) {
      process.stderr.write(`porthole: ${error.message}\n`);
      process.exit(1);
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      process.stderr.write(`porthole: PORTHOLE_HOST: cannot resolve "${config.host}" to an address to listen on.\n`);
      process.exit(2);
    }
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      process.stderr.write(
        `porthole: cannot listen on ${config.host}:${config.port} (${code}); set PORTHOLE_HOST or PORTHOLE_PORT.\n`,
      );
      process.exit(1);
    }
    throw error;
  }

  process.stdout.write(
    startupBanner({
      url: running.url,
      publicUrl: running.publicUrl,
      adminToken: running.adminToken,
      generated: running.adminTokenGenerated,
      previewDomain: config.previewDomain,
      store: running.store,
    }) + '\n',
  );
  logger.info({ url: running.url, publicUrl: running.publicUrl }, 'porthole started');

  // Ctrl-C under `npm start` reaches the server twice: once from the terminal (the whole
  // process group) and once forwarded by npm. The second must not hit Node's default
  // handler, which would kill the process in the middle of its graceful stop.
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: no new connections, closing tunnels');
    // Whatever happens, be gone within 5 s of the signal.
    setTimeout(() => process.exit(0), 5000).unref();
    void running.close(4000).then(() => {
      logger.info({}, 'stopped');
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`porthole: failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
