/**
 * The server's Logger: lines go to the client through window/logMessage (VS Code shows them in the
 * server's output channel). `IPP_SERVER_LOG=debug|trace` turns on the quieter levels.
 */
import type { Connection } from 'vscode-languageserver/node';
import type { Logger } from '../core/log';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;

export function connectionLogger(connection: Pick<Connection, 'console'>, level = 'info'): Logger {
  const min = Math.max(0, LEVELS.indexOf(level as (typeof LEVELS)[number]));
  const on = (l: (typeof LEVELS)[number]) => LEVELS.indexOf(l) >= min;
  const send = (fn: () => void) => {
    try {
      fn();
    } catch {
      // the connection is gone; nothing to tell
    }
  };
  return {
    trace: (m) => on('trace') && send(() => connection.console.debug(`[trace] ${m}`)),
    debug: (m) => on('debug') && send(() => connection.console.debug(m)),
    info: (m) => on('info') && send(() => connection.console.info(m)),
    warn: (m) => on('warn') && send(() => connection.console.warn(m)),
    error: (m) => on('error') && send(() => connection.console.error(m)),
  };
}
