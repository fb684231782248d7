/** Table rows for `weft proxy-config`, read defensively from the decoded Envoy v3 resources of a config dump. */

type Obj = Readonly<Record<string, unknown>>;

function obj(v: unknown): Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {};
}

function arr(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? v : [];
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? String(v) : '';
}

/** A wrapper (`{value}`) or plain number. */
function wrapped(v: unknown): string {
  return v !== null && typeof v === 'object' ? str(obj(v).value) : str(v);
}

function socketAddress(address: unknown): { address: string; port: string } {
  const a = obj(address);
  const sa = obj(a.socket_address);
  if (a.pipe) return { address: `unix:${str(obj(a.pipe).path)}`, port: '' };
  return { address: str(sa.address), port: str(sa.port_value) || str(sa.named_port) };
}

export function listenerRows(resources: readonly unknown[]): string[][] {
  return resources.map((r) => {
    const l = obj(r);
    const { address, port } = socketAddress(l.address);
    const chains = arr(l.filter_chains).length + (l.default_filter_chain ? 1 : 0);
    return [str(l.name), address, port, String(chains)];
  });
}

function describeMatch(m: Obj): string {
  const parts: string[] = [];
  const spec = str(m.path_specifier);
  if (spec === 'prefix' || (spec === '' && m.prefix != null)) parts.push(`prefix ${str(m.prefix)}`);
  if (spec === 'path' || (spec === '' && m.path != null)) parts.push(`path ${str(m.path)}`);
  if (spec === 'path_separated_prefix' || (spec === '' && m.path_separated_prefix != null)) parts.push(`prefix ${str(m.path_separated_prefix)}/`);
  if (spec === 'safe_regex' || (spec === '' && m.safe_regex != null)) parts.push(`regex ${str(obj(m.safe_regex).regex)}`);
  if (spec === 'connect_matcher' || (spec === '' && m.connect_matcher != null)) parts.push('CONNECT');
  const headers = arr(m.headers).map((h) => str(obj(h).name));
  if (headers.length > 0) parts.push(`headers ${headers.join(',')}`);
  const params = arr(m.query_parameters).map((q) => str(obj(q).name));
  if (params.length > 0) parts.push(`query ${params.join(',')}`);
  return parts.join(' ') || '*';
}

function describeAction(route: Obj): string {
  if (route.route) {
    const a = obj(route.route);
    if (typeof a.cluster === 'string' && a.cluster !== '') return a.cluster;
    if (typeof a.cluster_header === 'string' && a.cluster_header !== '') return `header ${str(a.cluster_header)}`;
    const wc = arr(obj(a.weighted_clusters).clusters).map((c) => `${str(obj(c).name)} ${wrapped(obj(c).weight)}`);
    if (wc.length > 0) return wc.join(', ');
    return 'route';
  }
  if (route.redirect) return 'redirect';
  if (route.direct_response) return `direct_response ${str(obj(route.direct_response).status)}`;
  if (route.non_forwarding_action) return 'non_forwarding';
  return '';
}

/** One row per route: route config, virtual host, domains, match → destination. */
export function routeRows(resources: readonly unknown[]): string[][] {
  const rows: string[][] = [];
  for (const r of resources) {
    const rc = obj(r);
    for (const v of arr(rc.virtual_hosts)) {
      const vh = obj(v);
      const all = arr(vh.domains).map(str);
      // the first domain names the host; the rest are its short/port variants
      const domains = all.length > 1 ? `${all[0] ?? ''} +${all.length - 1} more` : (all[0] ?? '');
      const routes = arr(vh.routes);
      if (routes.length === 0) rows.push([str(rc.name), str(vh.name), domains, '', '']);
      for (const route of routes) {
        const ro = obj(route);
        rows.push([str(rc.name), str(vh.name), domains, describeMatch(obj(ro.match)), describeAction(ro)]);
      }
    }
  }
  return rows;
}

export function clusterRows(resources: readonly unknown[]): string[][] {
  return resources.map((r) => {
    const c = obj(r);
    const type = c.cluster_type ? str(obj(c.cluster_type).name) : str(c.type) || 'STATIC';
    return [str(c.name), type, str(c.lb_policy) || 'ROUND_ROBIN'];
  });
}

function locality(l: unknown): string {
  const o = obj(l);
  return [str(o.region), str(o.zone), str(o.sub_zone)].filter((s, i, all) => s !== '' || all.slice(i + 1).some((x) => x !== '')).join('/');
}

/** One row per endpoint: cluster, address:port, locality, weight (the endpoint's, default 1), health. */
export function endpointRows(resources: readonly unknown[]): string[][] {
  const rows: string[][] = [];
  for (const r of resources) {
    const cla = obj(r);
    for (const l of arr(cla.endpoints)) {
      const group = obj(l);
      for (const e of arr(group.lb_endpoints)) {
        const lbe = obj(e);
        const { address, port } = socketAddress(obj(lbe.endpoint).address);
        rows.push([
          str(cla.cluster_name),
          port ? `${address}:${port}` : address,
          locality(group.locality),
          wrapped(lbe.load_balancing_weight) || '1',
          str(lbe.health_status) || 'UNKNOWN',
        ]);
      }
    }
  }
  return rows;
}
