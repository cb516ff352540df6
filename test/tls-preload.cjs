// Preloaded into the CLI by test/tls-connector.test.ts (NODE_OPTIONS=--require ...):
// - a full garbage collection after every TLS session the client receives (in a later task: a
//   WeakRef's target is kept until the task that made it ends), the case where undici's weakly
//   held session cache lost its sessions (a short test run would seldom collect on its own);
// - a count of the SecureContexts built (Node's tls.connect builds one per connection when it is
//   given none), printed to stderr at exit as `tls-preload {"contexts":N,"connects":M}`.
'use strict';
const tls = require('node:tls');
const v8 = require('node:v8');
const vm = require('node:vm');

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
let contexts = 0;
let connects = 0;
const createSecureContext = tls.createSecureContext;
tls.createSecureContext = function countedCreateSecureContext(...args) {
  contexts++;
  return createSecureContext.apply(this, args);
};
const connect = tls.connect;
tls.connect = function collectingConnect(...args) {
  connects++;
  const socket = connect.apply(this, args);
  socket.on('session', () => setImmediate(gc));
  return socket;
};
process.on('exit', () => process.stderr.write(`tls-preload ${JSON.stringify({ contexts, connects })}\n`));
