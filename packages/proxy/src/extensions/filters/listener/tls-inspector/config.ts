import { ConfigError, joinPath } from '@weft/api/lite';
import type { TlsInspector__Output } from '@weft/api/envoy/envoy/extensions/filters/listener/tls_inspector/v3/TlsInspector.js';
import type { ListenerFilterFactory } from '../../../../network/listener-filter-registry.js';
import { TlsInspector, tlsInspectorStats } from './tls-inspector.js';

export const tlsInspectorFactory: ListenerFilterFactory = {
  configType: 'envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector',
  names: ['envoy.filters.listener.tls_inspector', 'envoy.listener.tls_inspector', 'tls_inspector'],
  create(config, path, ctx) {
    const cfg = config as Partial<TlsInspector__Output> | undefined;
    if (cfg?.enable_ja3_fingerprinting?.value) throw new ConfigError(joinPath(path, 'enable_ja3_fingerprinting'), 'is not supported yet');
    // initial_read_buffer_size only tunes Envoy's first peek; every read here sees what the kernel has.
    return new TlsInspector(tlsInspectorStats(ctx.stats));
  },
};
