import { IptablesInstaller, type CommandRunner } from './installer.js';
import type { InstalledState } from './iptables-state.js';
import { natScript } from './iptables-state.js';
import { ProxyAdminClient } from './proxy-admin.js';
import { interceptRules, validateInterceptConfig, type InterceptConfig } from './rules.js';
import { InterceptToggle, type InterceptState, type ToggleOptions, type ToggleReport, type ToggleSteps } from './toggle.js';

export interface InterceptorOptions {
  readonly config: InterceptConfig;
  /** Install the rules in this network namespace. */
  readonly netns?: string | undefined;
  /**
   * The proxy's admin address (`host:port` or URL): out of service = `/healthcheck/fail`, drain = the same (every
   * HTTP/1 response then carries `connection: close`), waits read its gauges. Without it those steps are skipped.
   */
  readonly admin?: string | undefined;
  /** Tells the service registry the instance is out of (false) or back in (true) service. */
  readonly registry?: ((inService: boolean) => Promise<void>) | undefined;
  /** Listener stat names (regex) whose connections `off` waits for; default all but the admin's. */
  readonly listeners?: RegExp | undefined;
  readonly runner?: CommandRunner | undefined;
  readonly toggle?: ToggleOptions | undefined;
}

export interface InterceptStatus {
  /** What the rules in the namespace say: 'on' while connections are captured, 'draining' between off's steps. */
  readonly state: InterceptState | 'draining';
  readonly installed: InstalledState;
}

/** Interception of one workload: the rules, the installer and the lossless toggle wired to the proxy's admin API. */
export class Interceptor {
  readonly installer: IptablesInstaller;
  readonly toggle: InterceptToggle;
  private readonly admin: ProxyAdminClient | undefined;

  constructor(private readonly opts: InterceptorOptions) {
    validateInterceptConfig(opts.config);
    this.installer = new IptablesInstaller({ netns: opts.netns, runner: opts.runner });
    this.admin = opts.admin === undefined ? undefined : new ProxyAdminClient(opts.admin);
    this.toggle = new InterceptToggle(this.steps(), opts.toggle);
  }

  on(): Promise<ToggleReport> {
    return this.toggle.on();
  }

  off(): Promise<ToggleReport> {
    return this.toggle.off();
  }

  async status(): Promise<InterceptStatus> {
    const installed = await this.installer.state();
    return { state: installed.jumps.length > 0 ? 'on' : installed.chains.length > 0 ? 'draining' : 'off', installed };
  }

  /** The iptables-restore input `on` would apply to a namespace without Weft rules (`--dry-run`). */
  dryRun(): string {
    return natScript(interceptRules(this.opts.config));
  }

  private steps(): ToggleSteps {
    const admin = this.admin;
    const registry = this.opts.registry;
    const listeners = this.opts.listeners;
    return {
      setInService: async (inService) => {
        if (registry !== undefined) await registry(inService);
        if (admin !== undefined) await admin.post(inService ? '/healthcheck/ok' : '/healthcheck/fail');
      },
      activeRequests: async () => (admin === undefined ? 0 : admin.activeRequests()),
      activeConnections: async () => (admin === undefined ? 0 : admin.activeConnections(listeners)),
      drain: async () => {
        if (registry !== undefined) await registry(false);
        if (admin !== undefined) await admin.post('/healthcheck/fail');
      },
      installRules: async () => {
        await this.installer.install(this.opts.config);
      },
      stopCapture: async () => {
        await this.installer.stopCapture();
      },
      removeRules: async () => {
        await this.installer.remove();
      },
    };
  }
}
