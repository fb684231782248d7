// Network namespaces for the interception tests: two namespaces joined by a veth pair, processes inside them.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const weftBin = path.join(repoRoot, 'packages', 'cli', 'bin', 'weft.js');

/** Why the namespace tests cannot run here, or undefined when they can (root, ip, iptables, setpriv). */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'needs root (ip netns, iptables)';
  for (const cmd of [['ip', '-V'], ['iptables', '--version'], ['iptables-restore', '--version'], ['setpriv', '--version']] as const) {
    const r = spawnSync(cmd[0], [cmd[1]], { stdio: 'ignore' });
    if (r.error || r.status !== 0) return `needs ${cmd[0]} (install iproute2 / iptables / util-linux)`;
  }
  return undefined;
}

function sh(args: string[]): void {
  const r = spawnSync(args[0] as string, args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr || r.error?.message}`);
}

/** Two namespaces, `a` (10.77.0.1) and `b` (10.77.0.2), on a /30 veth link, loopback up. */
export class NetnsPair {
  readonly a: string;
  readonly b: string;
  readonly ipA = '10.77.0.1';
  readonly ipB = '10.77.0.2';
  /** The veth ends in `a` and `b`. */
  readonly devA: string;
  readonly devB: string;
  private readonly children = new Set<ChildProcess>();

  constructor(tag: string) {
    const id = `${process.pid.toString(36)}${tag}`;
    this.a = `weft-${id}-a`;
    this.b = `weft-${id}-b`;
    const va = `wa${id}`.slice(0, 15);
    const vb = `wb${id}`.slice(0, 15);
    this.devA = va;
    this.devB = vb;
    try {
      sh(['ip', 'netns', 'add', this.a]);
      sh(['ip', 'netns', 'add', this.b]);
      sh(['ip', 'link', 'add', va, 'type', 'veth', 'peer', 'name', vb]);
      sh(['ip', 'link', 'set', va, 'netns', this.a]);
      sh(['ip', 'link', 'set', vb, 'netns', this.b]);
      for (const [ns, dev, ip] of [[this.a, va, this.ipA], [this.b, vb, this.ipB]] as const) {
        sh(['ip', '-n', ns, 'addr', 'add', `${ip}/30`, 'dev', dev]);
        sh(['ip', '-n', ns, 'link', 'set', dev, 'up']);
        sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
      }
    } catch (err) {
      this.destroy();
      throw err;
    }
  }

  /** Routes `cidr` out of `ns`'s veth end (e.g. service VIPs that iptables redirect before they leave). */
  route(ns: string, cidr: string): void {
    sh(['ip', '-n', ns, 'route', 'add', cidr, 'dev', ns === this.a ? this.devA : this.devB]);
  }

  /** Starts a long-lived process in `ns` (optionally as uid/gid via setpriv); killed by destroy(). */
  start(ns: string, argv: string[], opts: { uid?: number } = {}): ChildProcess {
    const user = opts.uid === undefined ? [] : ['setpriv', `--reuid=${opts.uid}`, `--regid=${opts.uid}`, '--clear-groups'];
    const child = spawn('ip', ['netns', 'exec', ns, ...user, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Runs a command in `ns` to completion. */
  run(ns: string, argv: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = this.start(ns, argv);
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
      // A command that reads no input may exit before we close its stdin: EPIPE then means nothing.
      child.stdin?.on('error', () => {});
      if (input === undefined) child.stdin?.end();
      else child.stdin?.end(input);
    });
  }

  /** GET a URL from inside `ns`; the body text. */
  async fetchText(ns: string, url: string): Promise<string> {
    const r = await this.run(ns, [process.execPath, '-e', `fetch(${JSON.stringify(url)}).then((r) => r.text()).then((t) => process.stdout.write(t), (e) => { console.error(e.cause?.message ?? e.message); process.exit(1); })`]);
    if (r.code !== 0) throw new Error(`fetch ${url} in ${ns} failed: ${r.stderr}`);
    return r.stdout;
  }

  /** The proxy's counters and gauges, read through its admin API inside `ns` (`get` answers 0 when absent). */
  async stats(ns: string, adminPort: number): Promise<{ get(name: string): number }> {
    const text = await this.fetchText(ns, `http://127.0.0.1:${adminPort}/stats`);
    const m = new Map<string, number>();
    for (const line of text.split('\n')) {
      const i = line.lastIndexOf(': ');
      if (i > 0 && /^\d+$/.test(line.slice(i + 2))) m.set(line.slice(0, i), Number(line.slice(i + 2)));
    }
    return { get: (name) => m.get(name) ?? 0 };
  }

  /**
   * Kills every process started here and any other still in the namespaces (e.g. a proxy whose agent was killed),
   * then deletes the namespaces (and with them the veth pair and the rules).
   */
  destroy(): void {
    for (const c of this.children) c.kill('SIGKILL');
    this.children.clear();
    for (const ns of [this.a, this.b]) {
      const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
      for (const pid of pids.split('\n').filter((p) => /^\d+$/.test(p))) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // exited meanwhile
        }
      }
      spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    }
  }
}

/** Resolves with the first stdout or stderr line matching `re` (process readiness), rejecting on exit or timeout. */
export function waitForLine(child: ChildProcess, re: RegExp, timeoutMs = 15000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let err = '';
    const timer = setTimeout(() => done(new Error(`timed out waiting for ${re}; stdout: ${buf.slice(-2000)} stderr: ${err.slice(-2000)}`)), timeoutMs);
    const onData = (c: Buffer): void => {
      buf += c.toString();
      const line = buf.split('\n').find((l) => re.test(l));
      if (line !== undefined) done(undefined, line);
    };
    // The proxy logs (pino) to stderr.
    const onErr = (c: Buffer): void => {
      err += c.toString();
      const line = err.split('\n').find((l) => re.test(l));
      if (line !== undefined) done(undefined, line);
    };
    const onExit = (code: number | null): void => done(new Error(`exited (${code}) before ${re}; stdout: ${buf.slice(-2000)} stderr: ${err.slice(-2000)}`));
    function done(e: Error | undefined, line?: string): void {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onErr);
      child.off('exit', onExit);
      if (e) reject(e);
      else resolve(line as string);
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onErr);
    child.once('exit', onExit);
  });
}

/** Request/response over a child's stdin/stdout, one line each (a driver process inside a namespace). */
export class LineChannel {
  private buf = '';
  private readonly waiting: Array<(line: string) => void> = [];
  private readonly lines: string[] = [];

  constructor(private readonly child: ChildProcess) {
    child.stdout?.on('data', (c: Buffer) => {
      this.buf += c.toString();
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        const w = this.waiting.shift();
        if (w) w(line);
        else this.lines.push(line);
      }
    });
  }

  next(): Promise<string> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async request(line: string): Promise<string> {
    this.child.stdin?.write(`${line}\n`);
    return this.next();
  }
}
