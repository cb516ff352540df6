// undici's connector, required by file instead of through undici's index. The index loads all
// of undici (fetch, WebSocket, cache, mock, ...): ~70 ms of a crawl's start-up. undici's Agent
// is not loaded on the plain path at all (net/origin-dispatcher.ts drives Clients itself; the
// proxy and HTTP/2 path loads the index). undici 7 has no "exports" map, so these paths are
// public to require; they are pinned to an exact version in package.json
// (test/pinned-deep-imports.test.ts checks it), and every crawl test goes through them.
// The same files are what the index re-exports, so classes are identical when both are loaded
// (net/proxy-h2-ca.ts loads the index for its proxy agents).

import { createRequire } from 'node:module';
import type * as Undici from 'undici';

const require = createRequire(import.meta.url);

export const buildConnector = require('undici/lib/core/connect.js') as typeof Undici.buildConnector;
