// A tiny HTTP server standing in for a relying party's logout endpoint: records what arrives.
import http from 'node:http';
import type net from 'node:net';

export interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  origin: string;
  received: Received[];
  /** Status to answer with (200 by default). */
  status: number;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const receiver = { received: [] as Received[], status: 200 } as Receiver;
  const server = http.createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    receiver.received.push({ method: req.method!, url: req.url!, headers: req.headers, body });
    res.statusCode = receiver.status;
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.origin = `http://localhost:${(server.address() as net.AddressInfo).port}`;
  receiver.close = () => new Promise((resolve) => server.close(() => resolve()));
  return receiver;
}
