// A real SMTP server on 127.0.0.1 (the smtp-server package) that keeps what it receives, and can
// be told to refuse recipients permanently (5xx) or for now (4xx).
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail { from: string; to: string[]; raw: string }

export async function startSmtp(): Promise<{ url: string; port: number; received: ReceivedMail[]; refuse: null | 'permanent' | 'temporary'; close(): Promise<void> }> {
  const received: ReceivedMail[] = [];
  const state = { refuse: null as null | 'permanent' | 'temporary' };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (state.refuse === 'permanent') return callback(Object.assign(new Error('mailbox unavailable'), { responseCode: 550 }));
      if (state.refuse === 'temporary') return callback(Object.assign(new Error('try again later'), { responseCode: 451 }));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    received,
    get refuse() { return state.refuse; },
    set refuse(v) { state.refuse = v; },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
