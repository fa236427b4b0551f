import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import express, { type Request } from 'express';
import { InMemoryForwardStore, type ContainerRuntime, type Principal } from '@porthole/core';
import { createPorthole, type Authenticator, type Logger, type Porthole } from '@porthole/http-api';

/** The platform's own cookie, for its own pages. Porthole's API never reads cookies. */
const SESSION_COOKIE = 'platform_session';
const USER_NAME = /^[a-z][a-z0-9_-]{0,31}$/;

/**
 * The platform's sessions: one store, checked by the platform's routes and, through the
 * Authenticator below, by Porthole's. A real platform keeps them in its database or
 * verifies signed tokens; the shape of the check is the same.
 */
export class PlatformSessions implements Authenticator {
  private readonly sessions = new Map<string, Principal>();

  /** Stand-in for the platform's login: a real one checks a password or an SSO answer. */
  open(user: string): string {
    const session = randomBytes(24).toString('base64url');
    // Everyone is a plain user: they reach the containers labelled porthole.owner=<user>.
    this.sessions.set(session, { id: user, role: 'user' });
    return session;
  }

  /** Porthole's Authenticator: the session id arrives as `Authorization: Bearer <session>`. */
  async authenticate(credential: string): Promise<Principal | null> {
    return this.sessions.get(credential) ?? null;
  }

  /** The platform's own check: its cookie, or the same bearer header. */
  principalOf(req: Request): Principal | undefined {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const cookie = (req.headers.cookie ?? '')
      .split(';')
      .map((pair) => pair.trim().split('='))
      .find(([name]) => name === SESSION_COOKIE)?.[1];
    const session = bearer ?? cookie;
    return session === undefined ? undefined : this.sessions.get(session);
  }
}

export interface PlatformOptions {
  readonly runtime: ContainerRuntime;
  /** Where people reach Porthole: its path (`/porthole`) is where the platform serves it. */
  readonly publicUrl: string;
  readonly logger?: Logger;
}

export interface Platform {
  readonly server: Server;
  readonly porthole: Porthole;
  /**
   * Resolves once Porthole has checked the forwards of its store (with a durable store
   * after a restart: stale ones removed, host ports reopened): listen after it.
   */
  readonly ready: Promise<unknown>;
  /** Closes Porthole's tunnels and connections, then the server. */
  close(): Promise<void>;
}

/**
 * The platform: its own Express app and http.Server, its own routes and sessions, and
 * Porthole mounted under the public URL's path. The server is the caller's to listen.
 */
export function createPlatform(options: PlatformOptions): Platform {
  const sessions = new PlatformSessions();
  const porthole = createPorthole({
    runtime: options.runtime,
    store: new InMemoryForwardStore(),
    authenticator: sessions,
    publicUrl: options.publicUrl,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });

  const app = express();
  app.disable('x-powered-by');
  // The body parser is the platform's, on its own route only: Porthole's proxy streams
  // request bodies and must get them unread.
  app.post('/platform/login', express.json(), (req, res) => {
    const user: unknown = (req.body as { user?: unknown } | undefined)?.user;
    if (typeof user !== 'string' || !USER_NAME.test(user)) {
      res.status(400).json({ error: 'Send {"user": "<name>"}: a lower-case name.' });
      return;
    }
    const session = sessions.open(user);
    res.cookie(SESSION_COOKIE, session, { httpOnly: true, sameSite: 'lax', path: '/' });
    res.status(201).json({ session });
  });
  app.get('/platform/hello', (req, res) => {
    const principal = sessions.principalOf(req);
    if (principal === undefined) {
      res.status(401).json({ error: 'Log in first: POST /platform/login.' });
      return;
    }
    res.json({ hello: principal.id, porthole: options.publicUrl });
  });
  app.use(porthole.router);
  app.use((_req, res) => {
    res.status(404).json({ error: 'The platform has no such page.' });
  });

  const server = createServer(app);
  server.on('upgrade', (req, socket, head) => {
    // The platform's own WebSockets would be handled here; it has none.
    if (!porthole.handleUpgrade(req, socket, head)) socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  const ready = porthole.start();

  return {
    server,
    porthole,
    ready,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await porthole.close();
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), 2000);
      await closed;
      clearTimeout(timer);
    },
  };
}
