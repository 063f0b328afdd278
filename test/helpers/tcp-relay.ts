// A TCP relay between Portvakt and a real server (PostgreSQL, Redis) that can play the failures a
// network has: frozen (a partition or a frozen host: connections stay open and nothing passes
// until it thaws, when what was held back is delivered) and down (every connection is cut and new
// ones are refused, as when the server stops; until it is back).
import net from 'node:net';

export interface Relay {
  port: number;
  /** `url` with its host and port replaced by the relay's. */
  through(url: string): string;
  freeze(): void;
  thaw(): void;
  /** Cuts every connection and refuses new ones. */
  down(): void;
  /** Takes connections again after down(). */
  up(): void;
  close(): Promise<void>;
}

export async function startRelay(target: string): Promise<Relay> {
  const { hostname, port: targetPort } = new URL(target);
  const sockets = new Set<net.Socket>();
  let held: Array<() => void> | undefined; // writes waiting for the thaw, while frozen
  let refusing = false;
  const pass = (to: net.Socket) => (chunk: Buffer) => (held ? held.push(() => to.write(chunk)) : to.write(chunk));
  const server = net.createServer((client) => {
    if (refusing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(Number(targetPort), hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', pass(upstream));
    upstream.on('data', pass(client));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    through(url) {
      const relayed = new URL(url);
      relayed.host = `127.0.0.1:${port}`;
      return relayed.toString();
    },
    freeze: () => { held ??= []; },
    thaw: () => {
      const writes = held ?? [];
      held = undefined;
      for (const write of writes) write();
    },
    down: () => {
      refusing = true;
      for (const socket of sockets) socket.destroy();
    },
    up: () => { refusing = false; },
    close: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}
