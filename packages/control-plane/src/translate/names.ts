/** Istio's resource names. */
export function outboundClusterName(port: number, subset: string, host: string): string {
  return `outbound|${port}|${subset}|${host}`;
}

export function inboundClusterName(port: number): string {
  return `inbound|${port}||`;
}

export const ANY = (typeName: string): string => `type.googleapis.com/${typeName}`;

/** A fresh ADS config source per use (resources never share mutable objects). */
export function adsConfig(): Record<string, unknown> {
  return { ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3' };
}

/** An Istio percentage (0–100, fractional) as an Envoy FractionalPercent (per million, like Istio). */
export function fractionalPercent(value: number): { numerator: number; denominator: string } {
  return { numerator: Math.round(value * 10000), denominator: 'MILLION' };
}

export function isHttpProtocol(protocol: string): boolean {
  return protocol === 'HTTP' || protocol === 'HTTP2' || protocol === 'GRPC' || protocol === 'GRPC-WEB';
}

export function isHttp2Protocol(protocol: string): boolean {
  return protocol === 'HTTP2' || protocol === 'GRPC';
}
