// Node's http in front of a web-standard handler (the verification service's `fetch`): each request becomes a
// `Request` whose body streams, and the `Response` is written back. A handler that answers without reading the whole
// body (a 413) gets the connection closed behind its answer, so the rest of a hostile body is never read.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';

export interface HttpListenOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface HttpListener {
  /** `http://host:port`. */
  url: string;
  port: number;
  /** Stops accepting connections and waits for the open ones to end. */
  close(): Promise<void>;
}

/** A `node:http` request listener that answers with `handler` (for a server of your own: route to it). */
export function nodeRequestListener(handler: (request: Request) => Promise<Response>, host = '127.0.0.1'): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void serve(handler, req, res, host);
  };
}

/** Serves `handler` over HTTP/1.1. */
export function listenHttp(handler: (request: Request) => Promise<Response>, options: HttpListenOptions = {}): Promise<HttpListener> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer(nodeRequestListener(handler, host));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
          }),
      });
    });
  });
}

async function serve(handler: (request: Request) => Promise<Response>, req: IncomingMessage, res: ServerResponse, host: string): Promise<void> {
  try {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const request = new Request(new URL(req.url ?? '/', `http://${req.headers.host ?? host}`), {
      method: req.method,
      headers,
      ...(hasBody && { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' }),
    } as RequestInit);
    const response = await handler(request);
    const body = Buffer.from(await response.arrayBuffer());
    const out: Record<string, string> = {};
    response.headers.forEach((v, k) => {
      out[k] = v;
    });
    if (!req.complete) out.connection = 'close';
    res.writeHead(response.status, { ...out, 'content-length': String(body.byteLength) });
    res.end(body);
    if (!req.complete) res.once('finish', () => req.destroy());
  } catch {
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json', connection: 'close' });
    res.end('{"error":{"code":"internal","message":"internal error"}}');
  }
}
