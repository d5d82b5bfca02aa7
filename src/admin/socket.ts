// The admin socket: a Unix socket beside the data (mode 0600) through which the command line runs
// commands inside the server process, because PGlite belongs to one process.
import { existsSync, mkdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { runAdminCommand, type AdminResult, type AdminServices } from './commands.js';

export async function startAdminSocket(socketPath: string, services: AdminServices): Promise<{ close(): Promise<void> }> {
  if (existsSync(socketPath)) {
    if (await isListening(socketPath)) throw new Error(`another server already answers on ${socketPath}`);
    unlinkSync(socketPath); // left behind by a server that did not stop cleanly
  }
  const server = net.createServer((conn) => {
    let buf = '';
    let handled = false;
    conn.setEncoding('utf8');
    conn.on('data', (chunk: string) => {
      if (handled) return; // one command per connection
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      handled = true;
      let argv: unknown;
      try {
        argv = (JSON.parse(buf.slice(0, nl)) as { argv?: unknown }).argv;
      } catch {
        argv = null;
      }
      const run: Promise<AdminResult> = Array.isArray(argv) && argv.every((a) => typeof a === 'string')
        ? runAdminCommand(argv, services)
        : Promise.resolve({ code: 2, out: ['error: malformed admin request'] });
      run.then((r) => conn.end(JSON.stringify(r) + '\n')).catch((err) => conn.end(JSON.stringify({ code: 1, out: [`error: ${String(err)}`] }) + '\n'));
    });
    conn.on('error', () => undefined);
  });
  mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o700 });
  // Created owner-only from the start: no moment with default permissions.
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
  } finally {
    process.umask(umask);
  }
  return {
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export function isListening(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(socketPath);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

/** Sends one command to a running server; null when no server listens on the socket. */
export function sendAdminCommand(socketPath: string, argv: readonly string[], timeoutMs = 120_000): Promise<AdminResult | null> {
  return new Promise((resolve, reject) => {
    const c = net.connect(socketPath);
    c.setTimeout(timeoutMs, () => c.destroy(new Error(`the server did not answer within ${timeoutMs / 1000} s`)));
    let buf = '';
    let connected = false;
    c.setEncoding('utf8');
    c.once('connect', () => {
      connected = true;
      c.write(JSON.stringify({ argv }) + '\n');
    });
    c.on('data', (d: string) => (buf += d));
    c.on('end', () => {
      try {
        resolve(JSON.parse(buf) as AdminResult);
      } catch (err) {
        reject(err);
      }
    });
    // Only "nobody listens" means no server; any other error (permissions…) is reported as it is.
    c.once('error', (err: NodeJS.ErrnoException) => (!connected && (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') ? resolve(null) : reject(err)));
  });
}
