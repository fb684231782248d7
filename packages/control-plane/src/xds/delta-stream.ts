import { AdsStream, type ChangedTypes } from './ads-stream.js';
import { encodeDeltaDiscoveryResponse, type DeltaDiscoveryRequest__Output } from './messages.js';
import type { XdsResource } from './resource.js';
import { EMPTY_RESOURCES, type ProxySnapshot } from './snapshot.js';
import type { TypeState } from './stream-state.js';
import { orderTypes, shortTypeName } from './type-urls.js';

/** Responses awaiting an ACK kept per type; older ones are dropped (a client that never ACKs must not grow us). */
const MAX_PENDING = 64;

/**
 * Incremental (Delta) ADS: responses carry only resources the client does not hold at their current version, and
 * removals by name. What the client holds is tracked per type in `TypeState.sent`, seeded on reconnect from
 * `initial_resource_versions` so unchanged resources are not resent.
 */
export class DeltaStream extends AdsStream<DeltaDiscoveryRequest__Output> {
  onRequest(req: DeltaDiscoveryRequest__Output): void {
    if (!this.acceptNode(req.node, req.type_url)) return;
    const { state, first } = this.typeState(req.type_url);
    if (req.response_nonce !== '') this.recordAck(state, req);

    const candidates = new Set<string>();
    if (first) {
      for (const [name, version] of Object.entries(req.initial_resource_versions)) {
        state.sent.set(name, version);
        candidates.add(name);
      }
    }
    let wildcardAdded = first && req.resource_names_subscribe.length === 0;
    if (wildcardAdded) state.wildcard = true;
    for (const name of req.resource_names_subscribe) {
      if (name === '*') {
        wildcardAdded ||= !state.wildcard;
        state.wildcard = true;
      } else if (!state.names.has(name)) {
        state.names.add(name);
        candidates.add(name);
      }
    }
    for (const name of req.resource_names_unsubscribe) {
      if (name === '*') state.wildcard = false;
      else state.names.delete(name);
    }
    if (req.resource_names_unsubscribe.length > 0) {
      // The client drops what it no longer subscribes to; forget it so a re-subscribe sends it again.
      for (const name of state.sent.keys()) if (!state.subscribes(name)) state.sent.delete(name);
    }

    const snapshot = this.snapshot();
    const byName = snapshot.resources.get(state.typeUrl) ?? EMPTY_RESOURCES;
    if (wildcardAdded) {
      for (const name of byName.keys()) candidates.add(name);
    }
    const { resources, removed } = this.diff(state, byName, candidates);
    if (first || resources.length > 0 || removed.length > 0) this.send(state, snapshot, resources, removed);
  }

  private recordAck(state: TypeState, req: DeltaDiscoveryRequest__Output): void {
    const version = state.pending.get(req.response_nonce);
    if (version === undefined) return; // unknown or already answered
    for (const nonce of state.pending.keys()) {
      state.pending.delete(nonce);
      if (nonce === req.response_nonce) break;
    }
    if (req.error_detail) {
      state.recordNack(version, req.response_nonce, req.error_detail.code, req.error_detail.message);
      this.ctx.logger.warn({ proxy: this.node?.id, type: shortTypeName(state.typeUrl), version, error: req.error_detail.message }, 'xDS NACK');
    } else {
      state.ackedVersion = version;
      state.acks++;
    }
  }

  /** Subscribed candidates the client lacks (or holds at another version), and the ones it holds that are gone. */
  private diff(state: TypeState, byName: ReadonlyMap<string, XdsResource>, candidates: Iterable<string>): { resources: XdsResource[]; removed: string[] } {
    const resources: XdsResource[] = [];
    const removed: string[] = [];
    for (const name of candidates) {
      if (!state.subscribes(name)) continue;
      const r = byName.get(name);
      const held = state.sent.get(name);
      if (r) {
        if (held !== r.version) resources.push(r);
      } else if (held !== '' && (held !== undefined || state.names.has(name))) {
        // Also tells a client that a resource it named does not exist.
        removed.push(name);
      }
    }
    return { resources, removed };
  }

  push(snapshot: ProxySnapshot, changed: ChangedTypes): void {
    for (const typeUrl of orderTypes(changed ? changed.keys() : this.types.keys())) {
      const state = this.types.get(typeUrl);
      if (!state) continue;
      const byName = snapshot.resources.get(typeUrl) ?? EMPTY_RESOURCES;
      let candidates: Iterable<string> | undefined = changed?.get(typeUrl);
      if (!candidates) candidates = state.wildcard ? new Set([...byName.keys(), ...state.sent.keys()]) : state.names;
      const { resources, removed } = this.diff(state, byName, candidates);
      if (resources.length > 0 || removed.length > 0) this.send(state, snapshot, resources, removed);
    }
  }

  private send(state: TypeState, snapshot: ProxySnapshot, resources: readonly XdsResource[], removed: readonly string[]): void {
    const nonce = this.nextNonce();
    const version = snapshot.versions.get(state.typeUrl) ?? '0';
    this.write(encodeDeltaDiscoveryResponse(version, state.typeUrl, nonce, resources, removed));
    for (const r of resources) state.sent.set(r.name, r.version);
    for (const name of removed) {
      if (state.names.has(name)) state.sent.set(name, '');
      else state.sent.delete(name);
    }
    if (state.pending.size >= MAX_PENDING) {
      const oldest = state.pending.keys().next();
      if (!oldest.done) state.pending.delete(oldest.value);
    }
    state.pending.set(nonce, version);
    state.nonce = nonce;
    state.sentVersion = version;
    state.responses++;
  }
}
