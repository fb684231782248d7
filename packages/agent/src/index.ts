/** `weft agent`: bootstraps and supervises the proxy beside a workload, hot upgrades, traffic interception. */
export { relayUpgrade, type RelayOutcome } from '@weft/proxy/server/hot-upgrade/relay';
