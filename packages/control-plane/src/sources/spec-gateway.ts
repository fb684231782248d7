import { namespacedHost } from './spec-common.js';
import { portName, protocol } from './spec-services.js';
import { arr, bool, host, ipAddress, isObject, labels, notSupported, obj, port, str, supportedValues, type Check, type Report } from './strict-spec.js';

const TLS_VERSIONS = ['TLS_AUTO', 'TLSV1_0', 'TLSV1_1', 'TLSV1_2', 'TLSV1_3'];
const TLS_MODES = ['PASSTHROUGH', 'SIMPLE', 'MUTUAL', 'AUTO_PASSTHROUGH', 'ISTIO_MUTUAL', 'OPTIONAL_MUTUAL'];
/** Protocols a gateway server can carry in Weft (UDP has no listener type here). */
const HTTP_PROTOCOLS = ['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB'];
const TLS_PROTOCOLS = ['HTTPS', 'TLS'];
const TCP_PROTOCOLS = ['TCP', 'MONGO', 'MYSQL', 'REDIS'];

const serverPort = obj({ number: port, protocol, name: portName, targetPort: notSupported() }, { required: ['number', 'protocol', 'name'] });

const nonEmpty: Check = (v, path, report) => {
  if (typeof v !== 'string') return report(path, 'expected a string');
  if (v === '') report(path, 'must not be empty');
};

const serverTls = obj(
  {
    httpsRedirect: bool,
    mode: supportedValues(['PASSTHROUGH', 'SIMPLE', 'MUTUAL'], TLS_MODES),
    serverCertificate: nonEmpty,
    privateKey: nonEmpty,
    caCertificates: nonEmpty,
    credentialName: notSupported('needs SDS, which the Weft control plane does not serve yet: use serverCertificate/privateKey file paths'),
    subjectAltNames: arr(str),
    verifyCertificateSpki: notSupported(),
    verifyCertificateHash: notSupported(),
    minProtocolVersion: supportedValues(TLS_VERSIONS, TLS_VERSIONS),
    maxProtocolVersion: supportedValues(TLS_VERSIONS, TLS_VERSIONS),
    cipherSuites: arr(nonEmpty),
  },
  {
    refine: (o, path, report) => {
      const mode = o.mode ?? 'PASSTHROUGH';
      if (mode === 'SIMPLE' || mode === 'MUTUAL') {
        for (const f of ['serverCertificate', 'privateKey']) if (o[f] === undefined && o.credentialName === undefined) report(`${path}.${f}`, `is required with mode ${String(mode)}`);
        if (mode === 'MUTUAL' && o.caCertificates === undefined && o.credentialName === undefined) report(`${path}.caCertificates`, 'is required with mode MUTUAL');
      } else {
        for (const f of ['serverCertificate', 'privateKey', 'caCertificates', 'subjectAltNames', 'cipherSuites', 'minProtocolVersion', 'maxProtocolVersion']) {
          if (o[f] !== undefined) report(`${path}.${f}`, `is only used by modes SIMPLE and MUTUAL (mode is ${String(mode)})`);
        }
      }
      if (mode === 'SIMPLE' && o.subjectAltNames !== undefined) report(`${path}.subjectAltNames`, 'is only used by mode MUTUAL');
      const min = TLS_VERSIONS.indexOf(String(o.minProtocolVersion));
      const max = TLS_VERSIONS.indexOf(String(o.maxProtocolVersion));
      if (min > 0 && max > 0 && max < min) report(`${path}.maxProtocolVersion`, `${String(o.maxProtocolVersion)} is lower than minProtocolVersion ${String(o.minProtocolVersion)}`);
    },
  },
);

/** Istio's rules tying a server's protocol to its TLS settings. */
function checkServer(o: Record<string, unknown>, path: string, report: Report): void {
  const p = isObject(o.port) && typeof o.port.protocol === 'string' ? o.port.protocol.toUpperCase() : undefined;
  if (p === undefined) return;
  const tls = isObject(o.tls) ? o.tls : undefined;
  if (TLS_PROTOCOLS.includes(p)) {
    if (!tls) report(`${path}.tls`, `is required for ${p} servers`);
    else if (tls.httpsRedirect !== undefined && p === 'TLS') report(`${path}.tls.httpsRedirect`, 'applies only to HTTP and HTTPS servers');
  } else if (HTTP_PROTOCOLS.includes(p)) {
    if (tls && Object.keys(tls).some((k) => k !== 'httpsRedirect')) report(`${path}.tls`, 'plain-text HTTP servers accept only tls.httpsRedirect');
  } else if (TCP_PROTOCOLS.includes(p)) {
    if (tls) report(`${path}.tls`, `${p} servers cannot have TLS settings`);
  } else {
    report(`${path}.port.protocol`, `${p} gateway servers are not supported by Weft yet`);
  }
}

const gatewayHost: Check = (v, path, report) => (typeof v === 'string' && v.includes('/') ? namespacedHost(v, path, report) : host(v, path, report));

export const gatewaySpec: Check = obj(
  {
    selector: labels,
    servers: arr(
      obj(
        {
          port: serverPort,
          bind: ipAddress,
          hosts: arr(gatewayHost, { nonEmpty: true }),
          tls: serverTls,
          defaultEndpoint: notSupported(),
          name: str,
        },
        { required: ['port', 'hosts'], refine: checkServer },
      ),
      { nonEmpty: true },
    ),
  },
  {
    required: ['servers'],
    // Istio: port names (they name the HTTPS route tables) and server names are unique within a Gateway.
    refine: (o, path, report) => {
      if (!Array.isArray(o.servers)) return;
      const ports = new Set<unknown>();
      const names = new Set<unknown>();
      o.servers.forEach((s: unknown, i) => {
        if (!isObject(s)) return;
        const portName = isObject(s.port) ? s.port.name : undefined;
        if (portName !== undefined && ports.has(portName)) report(`${path}.servers[${i}].port.name`, `duplicate port name '${String(portName)}' (port names must be unique across servers)`);
        ports.add(portName);
        if (s.name !== undefined && names.has(s.name)) report(`${path}.servers[${i}].name`, `duplicate server name '${String(s.name)}'`);
        names.add(s.name);
      });
    },
  },
);
