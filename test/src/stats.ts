import { request } from '@weft/testing';

/** Reads one counter/gauge from the admin /stats text output (0 when absent). */
export async function adminStat(adminPort: number, name: string): Promise<number> {
  const res = await request(adminPort, `/stats?filter=${encodeURIComponent(`^${name.replace(/\./g, '\\.')}$`)}`);
  const m = new RegExp(`^${name.replace(/\./g, '\\.')}: (\\d+)$`, 'm').exec(res.body);
  return m ? Number(m[1]) : 0;
}
