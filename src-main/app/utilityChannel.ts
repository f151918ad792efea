/** The engine as an Electron utilityProcess (crash-isolated, safe for native tfjs-node). */
import { utilityProcess } from 'electron';
import { type EngineChannel, type EngineEntry, ExitSignal } from '../host/engineChannel';

export function forkUtilityEngine(entry: EngineEntry, env: NodeJS.ProcessEnv = process.env): EngineChannel {
  const child = utilityProcess.fork(entry.modulePath, [], { serviceName: 'FlowStudio engine', stdio: 'inherit', env, execArgv: entry.execArgv });
  const exit = new ExitSignal();
  child.on('exit', (code) => exit.report(`exited with code ${code}`));
  return {
    get pid() {
      return child.pid;
    },
    send: (message) => {
      if (!exit.exited) child.postMessage(message);
    },
    onMessage: (listener) => child.on('message', listener),
    onExit: (listener) => exit.listen(listener),
    // utilityProcess.kill() is the graceful stop: SIGTERM on POSIX.
    terminate: () => {
      if (!exit.exited) child.kill();
    },
    kill: () => {
      if (exit.exited) return;
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      else child.kill();
    },
  };
}
