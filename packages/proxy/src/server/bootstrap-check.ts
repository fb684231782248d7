import { ConfigError, joinPath } from '@weft/api/lite';
import type { Bootstrap__Output } from '@weft/api/envoy/envoy/config/bootstrap/v3/Bootstrap.js';

/** Refuses bootstrap fields that would change behaviour and that Weft does not implement yet. */
export function rejectUnsupportedBootstrap(b: Bootstrap__Output): void {
  const unsupported: Array<[string, boolean]> = [
    ['flags_path', !!b.flags_path],
    ['stats_sinks', b.stats_sinks.length > 0],
    ['watchdog', !!b.watchdog],
    ['watchdogs', !!b.watchdogs],
    ['tracing', !!b.tracing],
    ['hds_config', !!b.hds_config],
    ['overload_manager', !!b.overload_manager],
    ['header_prefix', !!b.header_prefix],
    ['bootstrap_extensions', b.bootstrap_extensions.length > 0],
    ['config_sources', b.config_sources.length > 0],
    ['default_config_source', !!b.default_config_source],
    ['certificate_provider_instances', Object.keys(b.certificate_provider_instances).length > 0],
    ['fatal_actions', b.fatal_actions.length > 0],
    ['typed_dns_resolver_config', !!b.typed_dns_resolver_config],
    ['inline_headers', b.inline_headers.length > 0],
    ['default_regex_engine', !!b.default_regex_engine],
    ['xds_delegate_extension', !!b.xds_delegate_extension],
    ['xds_config_tracker_extension', !!b.xds_config_tracker_extension],
    ['listener_manager', !!b.listener_manager],
    ['application_log_config', !!b.application_log_config],
  ];
  for (const [field, set] of unsupported) if (set) throw new ConfigError(field, 'is not supported yet');
  const cm = b.cluster_manager;
  if (cm) {
    const cmUnsupported: Array<[string, boolean]> = [
      ['outlier_detection', !!cm.outlier_detection],
      ['upstream_bind_config', !!cm.upstream_bind_config],
      ['load_stats_config', !!cm.load_stats_config],
    ];
    for (const [field, set] of cmUnsupported) if (set) throw new ConfigError(joinPath('cluster_manager', field), 'is not supported yet');
  }
  if (b.admin) {
    if ((b.admin.access_log_path && b.admin.access_log_path !== '/dev/null') || b.admin.access_log.length > 0) {
      // Admin access logs are harmless to ignore but users would expect them: refuse rather than surprise.
      throw new ConfigError('admin.access_log', 'admin access logs are not supported yet');
    }
    if (b.admin.socket_options.length > 0) throw new ConfigError('admin.socket_options', 'is not supported yet');
  }
}
