import { type ChildProcess, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const MAIN = path.resolve(import.meta.dirname, '../src/main.ts');

export interface Started {
  child: ChildProcess;
  port: number;
  output: () => string;
  exit: Promise<number | null>;
}

/** Starts the real service as `npm start` does and waits for its "ready" log line. */
export async function startService(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      // Compiled modules cached across spawns: a restart in a fault test loads about twice as fast.
      NODE_COMPILE_CACHE: path.join(tmpdir(), 'ekyc-node-compile-cache'),
      NODE_ENV: 'development',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in 120 s:\n${out}`)), 120_000);
    const poll = setInterval(() => {
      const m = /"port":(\d+),"msg":"ready"/.exec(out);
      if (m) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    }, 50);
    void exit.then((code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ready:\n${out}`));
    });
  });
  return { child, port, output: () => out, exit };
}

export async function stopService(s: Started): Promise<number | null> {
  s.child.kill('SIGTERM');
  return s.exit;
}
