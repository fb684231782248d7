/** One tag (Prometheus label) as a `[name, value]` pair; order is the order labels are printed in. */
export type Tag = readonly [name: string, value: string];

/**
 * What a stat is called once its tags are taken out of the name: `cluster.foo.upstream_rq_200` has
 * `tagExtractedName` `cluster.upstream_rq` and tags `envoy.response_code=200`, `envoy.cluster_name=foo`.
 * Computed once when the stat is created.
 */
export interface StatMeta {
  readonly tagExtractedName: string;
  readonly tags: readonly Tag[];
}
