/** The engine as an Electron utilityProcess (crash-isolated, safe for native tfjs-node). */
import { utilityProcess } from 'electron';
import type { EngineChannel } from '../host/engineChannel';

export function forkUtilityEngine(modulePath: string, env: NodeJS.ProcessEnv = process.env): EngineChannel {
  const child = utilityProcess.fork(modulePath, [], { serviceName: 'FlowStudio engine', stdio: 'inherit', env });
  let exitListener: ((reason: string) => void) | null = null;
  let exited = false;
  child.on('exit', (code) => {
    if (exited) return;
    exited = true;
    exitListener?.(`exited with code ${code}`);
  });
  return {
    get pid() {
      return child.pid;
    },
    send: (message) => child.postMessage(message),
    onMessage: (listener) => child.on('message', listener),
    onExit: (listener) => {
      exitListener = listener;
    },
    kill: () => {
      child.kill();
    },
  };
}
