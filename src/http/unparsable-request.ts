// What Node's HTTP parser refuses before any route sees the request — headers or an address too
// large, a malformed request line, a client too slow to send its headers — answered in the shape of
// every other 4xx ({"error", "error_description"}), then the connection is closed, as Node does.
import http from 'node:http';
import type { Socket } from 'node:net';

const ANSWERS: Record<string, [status: number, description: string]> = {
  HPE_HEADER_OVERFLOW: [431, 'the request\'s headers or address are too large (16 KiB in all); send long authorization requests with PAR'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'the request took too long to arrive'],
};

export function answerUnparsableRequest(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return; // the client has gone: nobody to answer
  const [status, description] = ANSWERS[err.code ?? ''] ?? [400, 'the request is not valid HTTP/1.1'];
  const body = JSON.stringify({ error: 'invalid_request', error_description: description });
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy(err);
}
