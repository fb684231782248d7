import type { HcmConfig } from './hcm-config.js';
import type { ActiveStream } from './active-stream.js';

/** Records the Istio standard request metrics for a finished stream. */
export function recordHttpIstioMetrics(cfg: HcmConfig, stream: ActiveStream): void {
  cfg.ctx.istio.recordRequest(stream.info, stream.grpcRequest);
}
