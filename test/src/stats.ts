import { request } from '@weft/testing';

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Reads one counter/gauge from the admin /stats text output (0 when absent). */
export async function adminStat(adminPort: number, name: string): Promise<number> {
  const res = await request(adminPort, `/stats?filter=${encodeURIComponent(`^${escapeRegex(name)}$`)}`);
  const m = new RegExp(`^${escapeRegex(name)}: (\\d+)$`, 'm').exec(res.body);
  return m ? Number(m[1]) : 0;
}
