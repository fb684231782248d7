import { registerNetworkFilter } from '../network/network-filter-registry.js';
import { registerRpcCodec } from '../rpc/codec-registry.js';
import { boltCodec } from '../codec/bolt/index.js';
import { dubboCodec } from '../codec/dubbo/index.js';
import { thriftCodec } from '../codec/thrift/index.js';
import { rpcProxyFactory } from './filters/network/rpc-proxy/config.js';
import { dubboProxyFactory } from './filters/network/dubbo-proxy/config.js';
import { thriftProxyFactory } from './filters/network/thrift-proxy/config.js';

let registered = false;

/** Registers the RPC proxy filters and the Bolt, Dubbo and Thrift codecs once (see optional-extensions.ts). */
export function registerRpcExtensions(): void {
  if (registered) return;
  registered = true;
  registerNetworkFilter(rpcProxyFactory);
  registerNetworkFilter(dubboProxyFactory);
  registerNetworkFilter(thriftProxyFactory);
  registerRpcCodec(boltCodec);
  registerRpcCodec(dubboCodec);
  registerRpcCodec(thriftCodec);
}
