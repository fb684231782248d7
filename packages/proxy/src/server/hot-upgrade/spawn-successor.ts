import { spawn, type ChildProcess } from 'node:child_process';
import { HOT_UPGRADE_ENV } from './protocol.js';

/**
 * Starts NEW for a standalone upgrade: the same command line as this process (or another weft.js / executable
 * given the same arguments), told by its environment to take over from its parent. Detached (its own process
 * group) so it outlives OLD and a signal to OLD's group does not reach it; stdio shared with OLD.
 */
export function spawnSuccessor(binary: string | undefined): ChildProcess {
  const args = process.argv.slice(2);
  let command = process.execPath;
  let argv: string[];
  if (binary === undefined) argv = [...process.execArgv, ...process.argv.slice(1)];
  else if (/\.[cm]?js$/.test(binary)) argv = [...process.execArgv, binary, ...args];
  else {
    command = binary;
    argv = args;
  }
  return spawn(command, argv, {
    env: { ...process.env, [HOT_UPGRADE_ENV]: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
    detached: true,
  });
}
