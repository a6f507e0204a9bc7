import pino from 'pino';
import type { Config } from './config.ts';

/** Credentials and request bodies never reach the logs; request lines carry the route pattern only. */
export function createLogger(config: Pick<Config, 'logLevel'>) {
  return pino({
    level: config.logLevel,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'headers.authorization',
        'headers.cookie',
        '*.password',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req: (req: { id: string; method: string }) => ({ id: req.id, method: req.method }),
    },
  });
}
