export { startUpstream, type TestUpstream, type RecordedRequest, type UpstreamHandler } from './upstream.js';
export { rawExchange, statusCodes } from './raw-client.js';
export { request, type SimpleResponse } from './http-client.js';
export { startProxyFromYaml, type TestProxy } from './proxy-harness.js';
export { freePort } from './ports.js';
export { FakeAdsServer, preloadAdsProtos, type ReceivedRequest } from './fake-ads-server.js';
export {
  startThriftServer, createThriftClient, loadThriftFixture, THRIFT_IDL, type TestThriftServer, type TestThriftClient,
  type ThriftPeerOptions, type ThriftTransportName, type ThriftProtocolName, type CalcHandlers, type CalcClient,
  type GreeterClient, type ThriftItem, type ThriftCall, type ThriftGenerated,
} from './thrift-peer.js';
