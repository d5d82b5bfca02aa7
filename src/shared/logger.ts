// A tiny structured logger; tests pass a silent one.

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function createLogger(level: 'silent' | 'info' = 'info'): Logger {
  const write = (stream: NodeJS.WriteStream, lvl: string, msg: string, fields?: Record<string, unknown>) => {
    if (level === 'silent') return;
    stream.write(`${new Date().toISOString()} ${lvl} ${msg}${fields ? ' ' + JSON.stringify(fields) : ''}\n`);
  };
  return {
    info: (m, f) => write(process.stdout, 'info', m, f),
    warn: (m, f) => write(process.stderr, 'warn', m, f),
    error: (m, f) => write(process.stderr, 'error', m, f),
  };
}
