import { FilterStatus, type HttpResponseHead, type StreamDecoderFilter, type StreamEncoderFilter, type StreamFilterCallbacks } from '../interfaces/http-filter.js';

/**
 * A decoder + encoder filter that lets everything through: filters override only the callbacks they act on
 * (most act on headers only).
 */
export abstract class PassThroughFilter implements StreamDecoderFilter, StreamEncoderFilter {
  protected cb!: StreamFilterCallbacks;

  setDecoderCallbacks(callbacks: StreamFilterCallbacks): void {
    this.cb = callbacks;
  }

  abstract decodeHeaders(endStream: boolean): FilterStatus;

  decodeData(_data: Buffer, _endStream: boolean): FilterStatus {
    return FilterStatus.Continue;
  }

  decodeTrailers(): FilterStatus {
    return FilterStatus.Continue;
  }

  encodeHeaders(_head: HttpResponseHead, _endStream: boolean): FilterStatus {
    return FilterStatus.Continue;
  }

  encodeData(_data: Buffer, _endStream: boolean): FilterStatus {
    return FilterStatus.Continue;
  }

  encodeTrailers(): FilterStatus {
    return FilterStatus.Continue;
  }

  abstract onDestroy(): void;
}
