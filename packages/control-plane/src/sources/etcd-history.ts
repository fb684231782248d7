import type { Etcd3, IKeyValue } from 'etcd3';
import { ConfigStore } from './config-store.js';
import { parseYamlDocuments } from './yaml-documents.js';

/** How many earlier versions of one key are read back at most. */
const MAX_VERSIONS_BACK = 16;

/** Whether a value, on its own, yields resources without any issue (so it fully determines its key's state). */
export function isCleanText(text: string, defaultNamespace: string): boolean {
  const store = new ConfigStore(defaultNamespace);
  store.setFile('value', parseYamlDocuments(text));
  return store.snapshot().issues.length === 0;
}

/**
 * A replica that watched a key keeps the last valid version of a resource whose newest value is invalid; one that
 * only lists the key now would not have it. To serve the same config, a listed key with issues is replayed from
 * etcd's history: the earlier values of the same key (since its creation) back to the newest one that is clean,
 * returned oldest first. Stops early at a compacted revision (then replicas may differ; the issue says so).
 */
export async function valuesBefore(client: Etcd3, kv: IKeyValue, defaultNamespace: string, deadline: () => number): Promise<string[]> {
  const out: string[] = [];
  const created = BigInt(kv.create_revision);
  let before = BigInt(kv.mod_revision) - 1n;
  const key = kv.key.toString('utf8');
  for (let i = 0; i < MAX_VERSIONS_BACK && before >= created; i++) {
    let older: IKeyValue | undefined;
    try {
      older = (await client.get(key).revision(before.toString()).options({ deadline: deadline() }).exec()).kvs[0];
    } catch {
      break; // compacted (or unreachable): replay what we have
    }
    if (!older || older.create_revision !== kv.create_revision) break;
    const text = older.value.toString('utf8');
    out.push(text);
    if (isCleanText(text, defaultNamespace)) break;
    before = BigInt(older.mod_revision) - 1n;
  }
  return out.reverse();
}
