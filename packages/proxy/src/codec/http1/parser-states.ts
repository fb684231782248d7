/** Parser states shared by the head reader and the driver (plain numbers: compared on every byte run). */
export const S_START = 0;
export const S_HEADERS = 1;
export const S_TRAILERS = 2;
export const S_BODY_LENGTH = 3;
export const S_CHUNK_LINE = 4;
export const S_CHUNK_DATA = 5;
export const S_CHUNK_DATA_CR = 6;
export const S_CHUNK_DATA_LF = 7;
export const S_BODY_CLOSE = 8;
/** Message fully read; onMessageComplete is due (deferred while paused). */
export const S_MSG_DONE = 9;
/** States from here on parse nothing. */
export const S_UPGRADED = 10;
export const S_DEAD = 11;
