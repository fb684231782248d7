export * from './parser.js';
export * from './encoder.js';
