import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { messageFromJson } from '@weft/api';
import { parse, stringify } from 'yaml';
import { TYPE_URLS } from '../model/affected-by.js';
import { buildModel } from '../model/mesh-model.js';
import { ConfigStore } from '../sources/config-store.js';
import { formatIssue } from '../sources/issue.js';
import { parseYamlDocuments } from '../sources/yaml-documents.js';
import { proxyIdentityFromNode, type XdsNode } from './proxy-identity.js';
import { translateFor } from './translate.js';

/**
 * Golden files: testdata/<case>/input.yaml (Istio resources) + node.yaml (the proxy's xDS node) → expected.yaml
 * (Envoy resources by type). `WEFT_UPDATE_GOLDEN=1` rewrites the expected files.
 */
const TESTDATA = fileURLToPath(new URL('../../testdata/', import.meta.url));
const UPDATE = process.env.WEFT_UPDATE_GOLDEN === '1';

const MESSAGE_TYPES: Record<string, string> = {
  listeners: 'envoy.config.listener.v3.Listener',
  routes: 'envoy.config.route.v3.RouteConfiguration',
  clusters: 'envoy.config.cluster.v3.Cluster',
  endpoints: 'envoy.config.endpoint.v3.ClusterLoadAssignment',
  rpc_routes: 'weft.extensions.filters.network.rpc_proxy.v1.RouteConfiguration',
};
const SECTION: Record<string, string> = {
  [TYPE_URLS.listener]: 'listeners',
  [TYPE_URLS.route]: 'routes',
  [TYPE_URLS.cluster]: 'clusters',
  [TYPE_URLS.endpoint]: 'endpoints',
  [TYPE_URLS.rpcRoute]: 'rpc_routes',
};

describe('translation golden files', () => {
  for (const name of readdirSync(TESTDATA).sort()) {
    const dir = `${TESTDATA}${name}/`;
    if (!existsSync(`${dir}input.yaml`)) continue;
    it(name, () => {
      const store = new ConfigStore();
      const parsed = parseYamlDocuments(readFileSync(`${dir}input.yaml`, 'utf8'));
      store.setFile('input.yaml', parsed);
      const snap = store.snapshot();
      assert.deepEqual(snap.issues.map(formatIssue), []);
      const node = parse(readFileSync(`${dir}node.yaml`, 'utf8')) as XdsNode;
      const resources = translateFor(buildModel(snap.resources.values()), proxyIdentityFromNode(node));
      const actual: Record<string, unknown[]> = {};
      for (const [type, byName] of resources) {
        const section = SECTION[type] ?? type;
        // Only proxies with RPC ports have rpc_proxy route tables: the section is left out of the other files.
        if (type === TYPE_URLS.rpcRoute && byName.size === 0) continue;
        actual[section] = [...byName.keys()].sort().map((k) => byName.get(k));
        for (const [rname, r] of byName) {
          // Every generated resource must be a valid Envoy message (strict proto3-JSON reader).
          assert.doesNotThrow(() => messageFromJson(MESSAGE_TYPES[section] ?? '', r), `${section} ${rname}`);
          assert.equal((r as { name?: string; cluster_name?: string }).name ?? (r as { cluster_name?: string }).cluster_name, rname);
        }
      }
      const text = stringify(actual, { lineWidth: 0, aliasDuplicateObjects: false });
      const expectedFile = `${dir}expected.yaml`;
      if (UPDATE || !existsSync(expectedFile)) writeFileSync(expectedFile, text);
      assert.equal(text, readFileSync(expectedFile, 'utf8'));
    });
  }
});
