import { OWNED_CHAINS } from './rules.js';

/** Weft's rules as found in `iptables -t nat -S` output. */
export interface InstalledState {
  /** Owned chains that exist. */
  readonly chains: readonly string[];
  /** Rules in the built-in chains that jump to an owned chain (`-A OUTPUT -p tcp -j WEFT_OUTPUT`). */
  readonly jumps: readonly string[];
  /** Rules inside the owned chains. */
  readonly rules: readonly string[];
}

function jumpTarget(rule: string): string | undefined {
  const m = / -[jg] (\S+)/.exec(rule);
  return m?.[1];
}

/** Parses `iptables -t nat -S` (iptables-save rule syntax) for what Weft installed. */
export function parseInstalled(listing: string): InstalledState {
  const chains: string[] = [];
  const jumps: string[] = [];
  const rules: string[] = [];
  for (const raw of listing.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('-N ')) {
      const name = line.slice(3).trim();
      if (OWNED_CHAINS.includes(name)) chains.push(name);
    } else if (line.startsWith('-A ')) {
      const chain = line.split(' ')[1] ?? '';
      if (OWNED_CHAINS.includes(chain)) rules.push(line);
      else if (OWNED_CHAINS.includes(jumpTarget(line) ?? '')) jumps.push(line);
    }
  }
  return { chains, jumps, rules };
}

/** iptables-restore lines (nat table, --noflush) that remove everything in `state`: jumps first, then the chains. */
export function removalLines(state: InstalledState): string[] {
  const out: string[] = [];
  for (const j of state.jumps) out.push(`-D${j.slice(2)}`);
  for (const c of state.chains) out.push(`-F ${c}`);
  for (const c of state.chains) out.push(`-X ${c}`);
  return out;
}

/** A whole iptables-restore input for the nat table. */
export function natScript(lines: readonly string[]): string {
  return `*nat\n${lines.map((l) => `${l}\n`).join('')}COMMIT\n`;
}
