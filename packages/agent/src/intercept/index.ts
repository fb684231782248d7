/** Transparent traffic interception: iptables rules, their installer and the lossless on/off toggle. */
export { DEFAULT_INTERCEPT, InterceptConfigError, interceptRules, validateInterceptConfig, type InterceptConfig } from './rules.js';
export { natScript, parseInstalled, removalLines, type InstalledState } from './iptables-state.js';
export { IptablesInstaller, InterceptInstallError, spawnRunner, type CommandResult, type CommandRunner } from './installer.js';
export { InterceptToggle, type InterceptState, type ToggleOptions, type ToggleReport, type ToggleSteps } from './toggle.js';
export { ProxyAdminClient } from './proxy-admin.js';
export { Interceptor, type InterceptorOptions, type InterceptStatus } from './interceptor.js';
export { handleInterceptRequest, registerInterceptRoutes, type InterceptResponse, type InterceptRouter } from './api.js';
export { interceptExtension, type AgentInterceptOptions, type AgentInterceptStatus } from './agent-intercept.js';
