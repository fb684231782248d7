/** `weft agent`: bootstraps and supervises the proxy beside a workload, hot upgrades, traffic interception. */
export { relayUpgrade, type RelayOutcome } from '@weft/proxy/server/hot-upgrade/relay';
export { AgentApi, DEFAULT_AGENT_PORT, type ApiHandler, type ApiRequest, type ApiResponse } from './api-server.js';
export { agentStatus, type AgentStatus } from './agent-routes.js';
export { Backoff, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
export { bootstrapObject, bootstrapYaml, nodeId, writeBootstrap, XDS_CLUSTER } from './bootstrap.js';
export {
  AgentFlagError,
  DEFAULT_ADMIN_PORT,
  DEFAULT_CONTROL_PLANE,
  IDENTITY_ENV,
  parseIdentity,
  parseProxyEndpoints,
  parseHostPort,
  parsePort,
  type IdentityFlag,
  type IdentityInput,
  type ProxyEndpoints,
  type WorkloadIdentity,
} from './identity.js';
export { installAgentSignals, runAgent, type AgentContext, type AgentExtension, type AgentOptions, type RunningAgent } from './run-agent.js';
export { ProxySupervisor, type ProxyState } from './supervisor.js';
export { DEFAULT_UPGRADE_TIMEOUT_MS, Upgrader, type UpgradeReport, type UpgradeRequest } from './upgrade.js';
