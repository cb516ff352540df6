// A real redis-server per test file: a child process on a free loopback port, no persistence,
// killed after the file. Without the binary, tests skip on a dev box and fail under CI
// (.ci/run installs it), so a missing Redis never passes as green in CI.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export const REDIS_BINARY = 'redis-server';

export function redisAvailable(): boolean {
  const probe = spawnSync(REDIS_BINARY, ['--version'], { encoding: 'utf8' });
  return probe.status === 0 && /Redis server v=/.test(probe.stdout);
}

/** `describe` when redis-server can run here; `describe.skip` (with a notice) on a dev box without it. */
export function redisOrSkip(): boolean {
  if (redisAvailable()) return true;
  if (process.env.CI) throw new Error(`${REDIS_BINARY} not found: CI must install it (see .ci/run)`);
  process.stderr.write(`\n[redis tests skipped] ${REDIS_BINARY} is not installed: apt-get install -y redis-server\n`);
  return false;
}

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function launch(port: number): Promise<ChildProcess | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      REDIS_BINARY,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', '/tmp'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) {
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.resume();
    child.once('error', reject);
    child.once('exit', () => {
      // Another process took the port between freePort() and the bind: pick another one.
      if (/Address already in use/.test(out)) resolve(null);
      else reject(new Error(`redis-server exited before it was ready:\n${out}`));
    });
  });
}

export async function startRedis(): Promise<RedisServer> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const child = await launch(port);
    if (child === null) continue;
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      stop: () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGKILL');
        }),
    };
  }
  throw new Error('no free loopback port for redis-server after 5 tries');
}
