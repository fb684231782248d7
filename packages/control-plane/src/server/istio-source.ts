import { buildModel, type MeshModel } from '../model/mesh-model.js';
import { affectedBy } from '../model/affected-by.js';
import type { ConfigSource, ConfigSourceFactory } from '../sources/config-source.js';
import { DirectorySource } from '../sources/directory-source.js';
import { formatIssue, type ConfigIssue } from '../sources/issue.js';
import type { SnapshotChange } from '../xds/snapshot.js';
import type { TypeUrl } from '../xds/type-urls.js';
import type { XdsLogger } from '../xds/ads-stream.js';
import type { IstioSnapshotProvider } from './istio-snapshot-provider.js';

export interface RunningIstioSource {
  /** Problems of the last load (invalid resources are not applied). */
  issues(): readonly ConfigIssue[];
  /** Services and their endpoints (`/debug/registryz`). */
  registry(): unknown;
  /** Where the config comes from and how far it is applied (e.g. the etcd revision), for `/debug/configz`. */
  status(): Record<string, unknown>;
  close(): void;
}

/**
 * Follows a source of Istio resources (a directory path, or a factory such as an etcd source) and feeds the
 * provider: each load that changes the applied set rebuilds the model and pushes only what changed (an
 * endpoint-only change pushes EDS).
 */
export async function startIstioSource(from: string | ConfigSourceFactory, provider: IstioSnapshotProvider, logger?: XdsLogger): Promise<RunningIstioSource> {
  let issues: readonly ConfigIssue[] = [];
  let model: MeshModel = provider.currentModel;
  const factory: ConfigSourceFactory = typeof from === 'string' ? (hooks) => new DirectorySource({ dir: from, ...hooks }) : from;
  const source: ConfigSource = factory({
    onUpdate(snapshot) {
      issues = snapshot.issues;
      for (const i of snapshot.issues) logger?.warn({ issue: i }, formatIssue(i));
      const next = buildModel(snapshot.resources.values());
      const scope = affectedBy(model, next);
      model = next;
      if (!scope.full && scope.types.size === 0) return;
      const change: SnapshotChange = scope.full ? {} : { types: new Map([...scope.types].map((t) => [t as TypeUrl, undefined])) };
      provider.setModel(next, change);
    },
    onError(err) {
      logger?.warn({ err: err.message }, `cannot read the ${source.description}; serving the last good config`);
    },
    onInfo(fields, message) {
      logger?.info(fields, message);
    },
  });
  await source.start();
  return {
    issues: () => issues,
    registry: () => ({
      services: model.services.map((s) => ({
        hostname: s.hostname,
        namespace: s.namespace,
        ports: s.ports,
        resolution: s.resolution,
        endpoints: s.endpoints.map((e) => ({ address: e.address, ports: e.ports, labels: e.labels, locality: e.locality, weight: e.weight })),
      })),
    }),
    status: () => source.status(),
    close: () => source.close(),
  };
}
