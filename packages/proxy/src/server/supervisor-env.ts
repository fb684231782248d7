/**
 * Set by a supervisor (the agent) to its own pid. A proxy whose parent is that supervisor stops gracefully when the
 * IPC channel to it closes (the supervisor died), instead of running on unsupervised. A successor spawned by a
 * standalone hot upgrade has another parent, so its predecessor's exit never stops it.
 */
export const SUPERVISOR_PID_ENV = 'WEFT_SUPERVISOR_PID';
