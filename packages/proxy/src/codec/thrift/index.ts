export { thriftCodec, matchThrift, ThriftConnectionCodec } from './thrift-codec.js';
export { ThriftFrame } from './thrift-frame.js';
export { AppExceptionType } from './thrift-constants.js';
