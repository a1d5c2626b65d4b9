import { createServer, connect, type Server, type Socket } from 'node:net';
import { BSON, type Document } from 'mongodb';

const OP_MSG = 2013;

/**
 * A TCP relay between the app and the database that records every command the app sends,
 * so tests can check what actually goes over the wire (write concern, for one).
 */
export interface WireTap {
  uri: string;
  commands: Document[];
  close(): Promise<void>;
}

export async function startWireTap(upstreamPort: number): Promise<WireTap> {
  const commands: Document[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: upstreamPort });
    sockets.add(client).add(upstream);
    let pending = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 16 && pending.length >= pending.readInt32LE(0)) {
        const length = pending.readInt32LE(0);
        record(pending.subarray(0, length), commands);
        pending = pending.subarray(length);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    uri: `mongodb://127.0.0.1:${port}/?directConnection=true`,
    commands,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Section kind 0 is the command; kind 1 is a document sequence (an insert's documents) named by an identifier. */
function record(message: Buffer, commands: Document[]): void {
  if (message.readInt32LE(12) !== OP_MSG) return;
  let command: Document = {};
  const sequences: Record<string, Document[]> = {};
  let offset = 20; // header (16) + flagBits (4)
  while (offset < message.length) {
    const kind = message.readUInt8(offset);
    offset += 1;
    const size = message.readInt32LE(offset);
    if (kind === 0) {
      command = BSON.deserialize(message.subarray(offset, offset + size));
    } else if (kind === 1) {
      const nameEnd = message.indexOf(0, offset + 4);
      const name = message.toString('utf8', offset + 4, nameEnd);
      const docs: Document[] = [];
      for (let at = nameEnd + 1; at < offset + size; at += message.readInt32LE(at)) {
        docs.push(BSON.deserialize(message.subarray(at, at + message.readInt32LE(at))));
      }
      sequences[name] = docs;
    }
    offset += size;
  }
  commands.push({ ...command, ...sequences });
}
