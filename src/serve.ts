// `sweep serve`: the testbed in the foreground until Ctrl-C.

import { ROUTES, startTestbed } from './testbed.js';

export async function serve(opts: { port: number; host: string }): Promise<void> {
  const testbed = await startTestbed(opts);
  process.stderr.write(`sweep testbed listening on ${testbed.url}\n${ROUTES}\n`);
  process.stdout.write(`${testbed.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await testbed.close();
}
