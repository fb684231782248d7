import { AdsStream, type ChangedTypes } from './ads-stream.js';
import { encodeDiscoveryResponse, type DiscoveryRequest__Output } from './messages.js';
import type { XdsResource } from './resource.js';
import { EMPTY_RESOURCES, type ProxySnapshot } from './snapshot.js';
import type { TypeState } from './stream-state.js';
import { CLUSTER_TYPE, LISTENER_TYPE, orderTypes, shortTypeName, type TypeUrl } from './type-urls.js';

/**
 * Types whose SotW responses must list every subscribed resource (a missing one is a deletion). For the others
 * (RDS, EDS) a response may carry only the resources that changed.
 */
const FULL_STATE_TYPES: ReadonlySet<TypeUrl> = new Set([LISTENER_TYPE, CLUSTER_TYPE]);

/** State-of-the-World ADS: each response carries whole resources; requests ACK/NACK by nonce. */
export class SotwStream extends AdsStream<DiscoveryRequest__Output> {
  /** Legacy wildcard: the first request of a type named nothing; ends when the client names resources. */
  private readonly legacyWildcard = new Set<TypeUrl>();

  onRequest(req: DiscoveryRequest__Output): void {
    if (!this.acceptNode(req.node, req.type_url)) return;
    const { state, first } = this.typeState(req.type_url);
    if (req.response_nonce !== '' || state.responses > 0) {
      // Only a request answering the latest response counts; older ones were superseded by it.
      if (req.response_nonce !== state.nonce) return;
      if (req.error_detail) {
        state.recordNack(state.sentVersion, req.response_nonce, req.error_detail.code, req.error_detail.message);
        this.ctx.logger.warn(
          { proxy: this.node?.id, type: shortTypeName(req.type_url), version: state.sentVersion, error: req.error_detail.message },
          'xDS NACK',
        );
      } else {
        state.ackedVersion = req.version_info;
        state.acks++;
      }
    }
    const added = this.updateSubscription(state, req.resource_names, first);
    const snapshot = this.snapshot();
    if (state.responses === 0) {
      this.send(state, snapshot, this.subscribedResources(state, snapshot));
      return;
    }
    if (added === undefined) return;
    if (FULL_STATE_TYPES.has(state.typeUrl)) {
      this.send(state, snapshot, this.subscribedResources(state, snapshot));
      return;
    }
    const byName = snapshot.resources.get(state.typeUrl) ?? EMPTY_RESOURCES;
    const names = added === 'all' ? byName.keys() : added;
    const out: XdsResource[] = [];
    for (const name of names) {
      const r = byName.get(name);
      if (r && state.sent.get(name) !== r.version) out.push(r);
    }
    if (out.length > 0) this.send(state, snapshot, out);
  }

  /**
   * Applies the request's resource_names. Returns undefined when nothing changed, 'all' when the stream became
   * wildcard, else the newly subscribed names. Names dropped from the subscription are forgotten.
   */
  private updateSubscription(state: TypeState, requested: readonly string[], first: boolean): Iterable<string> | 'all' | undefined {
    if (first && requested.length === 0) this.legacyWildcard.add(state.typeUrl);
    else if (requested.length > 0) this.legacyWildcard.delete(state.typeUrl);
    const wildcard = requested.includes('*') || (requested.length === 0 && this.legacyWildcard.has(state.typeUrl));
    const next = new Set(requested);
    next.delete('*');
    const becameWildcard = wildcard && !state.wildcard;
    let changed = wildcard !== state.wildcard || next.size !== state.names.size;
    const added: string[] = [];
    for (const name of next) {
      if (!state.names.has(name)) {
        added.push(name);
        changed = true;
      }
    }
    if (!changed) return undefined;
    state.wildcard = wildcard;
    state.names.clear();
    for (const name of next) state.names.add(name);
    for (const name of state.sent.keys()) if (!state.subscribes(name)) state.sent.delete(name);
    return becameWildcard ? 'all' : added;
  }

  private subscribedResources(state: TypeState, snapshot: ProxySnapshot): XdsResource[] {
    const byName = snapshot.resources.get(state.typeUrl) ?? EMPTY_RESOURCES;
    if (state.wildcard) return [...byName.values()];
    const out: XdsResource[] = [];
    for (const name of state.names) {
      const r = byName.get(name);
      if (r) out.push(r);
    }
    return out;
  }

  push(snapshot: ProxySnapshot, changed: ChangedTypes): void {
    for (const typeUrl of orderTypes(changed ? changed.keys() : this.types.keys())) {
      const state = this.types.get(typeUrl);
      if (!state || state.responses === 0) continue; // its first request will get the whole state
      const names = changed?.get(typeUrl);
      const byName = snapshot.resources.get(typeUrl) ?? EMPTY_RESOURCES;
      if (FULL_STATE_TYPES.has(typeUrl)) {
        if (this.fullStateDiffers(state, byName, names)) this.send(state, snapshot, this.subscribedResources(state, snapshot));
        continue;
      }
      const out: XdsResource[] = [];
      for (const name of names ?? (state.wildcard ? byName.keys() : state.names)) {
        if (!state.subscribes(name)) continue;
        const r = byName.get(name);
        if (r) {
          if (state.sent.get(name) !== r.version) out.push(r);
        } else {
          // RDS/EDS in SotW cannot express a removal; the client keeps its copy until it unsubscribes.
          state.sent.delete(name);
        }
      }
      if (out.length > 0) this.send(state, snapshot, out);
    }
  }

  private fullStateDiffers(state: TypeState, byName: ReadonlyMap<string, XdsResource>, names: ReadonlySet<string> | undefined): boolean {
    if (names) {
      for (const name of names) {
        if (!state.subscribes(name)) continue;
        if (byName.get(name)?.version !== state.sent.get(name)) return true;
      }
      return false;
    }
    let count = 0;
    for (const [name, r] of byName) {
      if (!state.subscribes(name)) continue;
      count++;
      if (state.sent.get(name) !== r.version) return true;
    }
    return count !== state.sent.size;
  }

  /** Sends `resources`; for full-state types they are the whole subscribed set. */
  private send(state: TypeState, snapshot: ProxySnapshot, resources: readonly XdsResource[]): void {
    const nonce = this.nextNonce();
    const version = snapshot.versions.get(state.typeUrl) ?? '0';
    this.write(encodeDiscoveryResponse(version, state.typeUrl, nonce, resources));
    if (FULL_STATE_TYPES.has(state.typeUrl) || state.responses === 0) state.sent.clear();
    for (const r of resources) state.sent.set(r.name, r.version);
    state.nonce = nonce;
    state.sentVersion = version;
    state.responses++;
  }
}
