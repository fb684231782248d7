import type { InterceptStatus, ToggleReport } from '@weft/agent/intercept/index';

export interface ViaAgentOptions {
  readonly json: boolean;
  readonly dryRun: boolean;
  readonly format: (r: ToggleReport) => string;
}

/** `weft intercept on|off|status` (and `--dry-run` for on) through a running agent's API; returns the exit code. */
export async function interceptViaAgent(agent: string, action: 'on' | 'off' | 'status', o: ViaAgentOptions): Promise<number> {
  const base = agent.includes('://') ? agent.replace(/\/$/, '') : `http://${agent}`;
  if (o.dryRun && action === 'off') throw Object.assign(new Error('--dry-run with --agent shows only what on would install'), { code: 'WEFT_ERR_INTERCEPT_USAGE' });
  const [method, path] = o.dryRun ? ['GET', '/intercept/rules'] : action === 'status' ? ['GET', '/intercept'] : ['POST', `/intercept/${action}`];
  let res: Response;
  try {
    res = await fetch(base + path, { method });
  } catch (err) {
    throw new Error(`cannot reach the agent at ${agent}: ${((err as Error).cause as Error | undefined)?.message ?? (err as Error).message}`);
  }
  const text = await res.text();
  if (res.status === 404) throw new Error(`the agent at ${agent} has no interception (run it with --interception-mode redirect)`);
  if (res.status !== 200) {
    let reason = text.trim();
    try {
      reason = String((JSON.parse(text) as { error?: unknown }).error ?? reason);
    } catch {
      // not JSON: the text as it came
    }
    throw new Error(`the agent answered ${res.status}: ${reason}`);
  }
  if (o.dryRun) {
    process.stdout.write(text);
    return 0;
  }
  if (o.json) {
    process.stdout.write(`${JSON.stringify(JSON.parse(text))}\n`);
    return 0;
  }
  if (action === 'status') {
    const st = JSON.parse(text) as InterceptStatus;
    process.stdout.write(`interception ${st.state}\n${st.installed.jumps.concat(st.installed.rules).map((r) => `  ${r}\n`).join('')}`);
  } else process.stdout.write(o.format(JSON.parse(text) as ToggleReport));
  return 0;
}
