/**
 * Entry of the engine process: started by the host with child_process.fork (CLI, serve mode,
 * tests) or Electron's utilityProcess.fork (desktop app). It speaks protocol frames over the
 * process message channel: requests in, responses and events out. The first message it sends
 * is `{type: 'ready', pid}`.
 */
import type { EventFrame, ResponseFrame } from '../../src-shared/protocol';
import { Dispatcher } from './dispatcher';
import { handlers } from './handlers';
import { runManager } from './state';

type Outgoing = ResponseFrame | EventFrame | { type: 'ready'; pid: number };

interface ParentPort {
  on(event: 'message', listener: (message: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

// Electron's utilityProcess exposes process.parentPort; child_process.fork gives process.send.
const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

function send(message: Outgoing): void {
  if (parentPort) parentPort.postMessage(message);
  else if (process.send) process.send(message);
  else throw new Error('the engine must be started as a child process (no message channel)');
}

const dispatcher = new Dispatcher(handlers, send);

async function onMessage(message: unknown): Promise<void> {
  send(await dispatcher.handle(message));
}

if (parentPort) parentPort.on('message', (event) => void onMessage(event.data));
else process.on('message', (message) => void onMessage(message));

// With child_process.fork the engine must not outlive its host.
process.on('disconnect', () => process.exit(0));

// SIGTERM (the host's graceful stop: engineChannel.terminate, utilityProcess.kill) and SIGINT:
// every running trainer stops and writes its checkpoint, then the engine exits. The host waits
// a bounded time for this before SIGKILL.
let shuttingDown = false;
function shutdown(signal: NodeJS.Signals): void {
  if (shuttingDown) return;
  shuttingDown = true;
  dispatcher.emit('log', { level: 'info', source: 'engine', message: `${signal}: checkpointing running trainers before exiting` });
  runManager()
    .stopAll()
    .then(
      () => process.exit(0),
      () => process.exit(1),
    );
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

process.on('uncaughtException', (error) => {
  // Report, then die: the host sees the exit, reports ENGINE_CRASHED and can start a new engine.
  try {
    dispatcher.emit('log', { level: 'error', source: 'engine', message: `uncaught: ${error.stack ?? error.message}` });
  } finally {
    process.exit(70);
  }
});

send({ type: 'ready', pid: process.pid });
