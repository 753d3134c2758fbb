import { createServer, type IncomingHttpHeaders, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on 127.0.0.1, port 0, and returns the base URL. */
export async function listen(server: Server | { listen: Server['listen'] }): Promise<{ url: string; close: () => Promise<void> }> {
  const s = server as Server;
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => s.close(() => resolve())),
  };
}

/**
 * Serves a fixture service's app on 127.0.0.1 (port 0): its base URL, and a close that drops open connections, stops
 * the server, then closes the service (its pools and clients).
 */
export async function serveApp(service: { app: RequestListener; close(): Promise<void> }): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer(service.app);
  const listening = await listen(server);
  return {
    url: listening.url,
    close: async () => {
      server.closeAllConnections();
      await listening.close();
      await service.close();
    },
  };
}

/** A plain, untraced server that records the headers of each request and answers with the given status. */
export async function echoServer() {
  const seen: IncomingHttpHeaders[] = [];
  let status = 200;
  const handler: RequestListener = (req, res) => {
    seen.push(req.headers);
    if (req.url?.startsWith('/slow')) {
      setTimeout(() => res.end('late'), 2000).unref();
      return;
    }
    res.statusCode = req.url?.startsWith('/status/') ? Number(req.url.slice(8)) : status;
    res.end('ok');
  };
  const server = createServer(handler);
  const { url, close } = await listen(server);
  return {
    url,
    seen,
    setStatus: (code: number) => (status = code),
    close: async () => {
      server.closeAllConnections();
      await close();
    },
  };
}
