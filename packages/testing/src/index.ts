export { startUpstream, type TestUpstream, type RecordedRequest, type UpstreamHandler } from './upstream.js';
export { rawExchange, statusCodes } from './raw-client.js';
export { request, type SimpleResponse } from './http-client.js';
export { startProxyFromYaml, type TestProxy } from './proxy-harness.js';
export { freePort } from './ports.js';
export { FakeAdsServer, preloadAdsProtos, type ReceivedRequest } from './fake-ads-server.js';
export { startEtcd, type TestEtcd } from './etcd.js';
export { startDubboProvider, DubboStatusError, type DubboProvider, type DubboCall, type DubboMethod } from './dubbo-provider.js';
export { dubboClient, java, type DubboTestClient, type DubboResult, type JavaTypes } from './dubbo-client.js';
export { dubboRequestFrame, dubboHeartbeatFrame, dubboFrame, type DubboRequestSpec } from './dubbo-frames.js';
export {
  startSofaServer, createSofaConsumer, startBoltRecorder, DEFAULT_INTERFACE as SOFA_TEST_INTERFACE,
  type SofaServer, type SofaServerOptions, type SofaConsumer, type SofaConsumerOptions, type SofaBoltVersion, type SofaCall, type SofaMethod, type BoltRecorder,
} from './sofa.js';
export {
  startThriftServer, createThriftClient, loadThriftFixture, THRIFT_IDL, type TestThriftServer, type TestThriftClient,
  type ThriftPeerOptions, type ThriftTransportName, type ThriftProtocolName, type CalcHandlers, type CalcClient,
  type GreeterClient, type ThriftItem, type ThriftCall, type ThriftGenerated,
} from './thrift-peer.js';
