import { CONTROL_PLANE_HELP } from './commands/control-plane-help.js';
import { proxyCommand, PROXY_HELP } from './commands/proxy.js';
import { versionCommand } from './commands/version.js';

const HELP = `weft — a service mesh (Envoy v3 compatible)

Usage:
  weft <command> [options]

Commands:
  proxy          run the data-plane proxy from an Envoy v3 bootstrap file
  agent          run beside a workload: write the bootstrap, supervise the proxy, hot upgrade (agent status: its state)
  control-plane  run the control plane (ADS server, SotW and Delta, with a debug HTTP API)
  upgrade        hot-upgrade a running proxy (new process takes over its sockets; the old one drains)
  proxy-status   every proxy connected to the control plane and whether it is in sync (CDS/LDS/EDS/RDS)
  proxy-config   listeners|routes|clusters|endpoints a proxy gets from the control plane
  intercept      turn transparent traffic interception (iptables) on or off without losing requests
  analyze        check a directory of Istio resources (schema errors, unknown hosts/subsets, shadowed routes)
  version        print the version
  help           print this help

Run 'weft <command> --help' for a command's options.
`;

/** CLI entry; resolves to an exit code, or undefined when a long-running command keeps the process alive. */
export async function main(argv: string[]): Promise<number | undefined> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      if (rest[0] === 'proxy') process.stdout.write(PROXY_HELP);
      else if (rest[0] === 'control-plane') process.stdout.write(CONTROL_PLANE_HELP);
      else if (rest[0] === 'agent') return main(['agent', '--help']);
      else if (['proxy-status', 'proxy-config', 'analyze', 'intercept', 'upgrade'].includes(rest[0] ?? '')) return main([rest[0] ?? '', '--help']);
      else process.stdout.write(HELP);
      return 0;
    case 'version':
    case '--version':
      return versionCommand();
    case 'proxy':
      return proxyCommand(rest);
    case 'agent':
      return (await import('./commands/agent.js')).agentCommand(rest);
    case 'control-plane':
      return (await import('./commands/control-plane.js')).controlPlaneCommand(rest);
    case 'upgrade':
      return (await import('./commands/upgrade.js')).upgradeCommand(rest);
    case 'proxy-status':
      return (await import('./commands/proxy-status.js')).proxyStatusCommand(rest);
    case 'proxy-config':
      return (await import('./commands/proxy-config.js')).proxyConfigCommand(rest);
    case 'analyze':
      return (await import('./commands/analyze.js')).analyzeCommand(rest);
    case 'intercept':
      return (await import('./commands/intercept.js')).interceptCommand(rest);
    default:
      process.stderr.write(`weft: unknown command '${command}'\n\n${HELP}`);
      return 2;
  }
}
