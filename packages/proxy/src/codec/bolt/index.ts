export { boltCodec, matchBolt, BoltConnectionCodec } from './bolt-codec.js';
export { BoltFrame } from './bolt-frame.js';
