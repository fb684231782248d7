import type { AgentExtension } from '../run-agent.js';
import { registerInterceptRoutes } from './api.js';
import type { CommandRunner } from './installer.js';
import { Interceptor } from './interceptor.js';
import type { InterceptConfig } from './rules.js';
import type { ToggleOptions, ToggleReport } from './toggle.js';

export interface AgentInterceptOptions {
  readonly config: InterceptConfig;
  /** Install the rules in this network namespace (default: the agent's own). */
  readonly netns?: string | undefined;
  /** Turn interception on once the proxy is first ready. */
  readonly onStart: boolean;
  readonly toggle?: ToggleOptions | undefined;
  /** Runs iptables (tests inject a fake). */
  readonly runner?: CommandRunner | undefined;
}

/** What `GET /status` shows under `interception`. */
export interface AgentInterceptStatus {
  readonly state: string;
  readonly netns: string | null;
  readonly onStart: boolean;
  readonly installed: unknown;
  /** The last toggle the agent itself ran at start or stop. */
  readonly lastAutomatic: ToggleReport | null;
}

/**
 * Interception as an agent extension: the /intercept routes, an `interception` section in /status, the rules
 * installed once the proxy is ready (onStart), and removed by the lossless `off` (drain first) when the agent stops,
 * before the proxy goes: rules left behind would send the workload's traffic to a port nobody listens on.
 */
export function interceptExtension(opts: AgentInterceptOptions): AgentExtension {
  return (ctx) => {
    const interceptor = new Interceptor({ config: opts.config, netns: opts.netns, admin: `127.0.0.1:${ctx.adminPort}`, toggle: opts.toggle, runner: opts.runner });
    let lastAutomatic: ToggleReport | null = null;
    let stopping = false;
    registerInterceptRoutes(ctx.api, interceptor);
    ctx.addStatus('interception', async (): Promise<AgentInterceptStatus> => {
      const st = await interceptor.status();
      return { state: st.state, netns: opts.netns ?? null, onStart: opts.onStart, installed: st.installed, lastAutomatic };
    });
    if (opts.onStart) {
      void ctx.supervisor.whenReady().then(async (ready) => {
        if (!ready || stopping) return;
        try {
          lastAutomatic = await interceptor.on();
          ctx.logger.info({ totalMs: Math.round(lastAutomatic.totalMs) }, 'interception on');
        } catch (err) {
          ctx.logger.error({ err: (err as Error).message }, 'interception on failed');
        }
      });
    }
    ctx.onStop(async () => {
      stopping = true;
      if ((await interceptor.status()).state === 'off') return;
      try {
        lastAutomatic = await interceptor.off();
        ctx.logger.info({ totalMs: Math.round(lastAutomatic.totalMs) }, 'interception off (agent stopping)');
      } catch (err) {
        // The proxy is gone (it quit or crashed for good): nothing to drain, but the rules must still go.
        ctx.logger.warn({ err: (err as Error).message }, 'lossless interception off failed; removing the rules');
        await interceptor.installer.remove();
      }
    });
  };
}
