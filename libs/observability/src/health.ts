export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

export interface HealthReport {
  status: 'ok' | 'unavailable';
  checks: Record<string, 'ok' | string>;
}

/**
 * Readiness of this process: every registered dependency answers, the workers have started,
 * and it is not shutting down. Liveness is only "the event loop answers".
 */
export class HealthRegistry {
  private readonly checks: ReadinessCheck[] = [];
  private readonly pending = new Set<string>();
  private shuttingDown = false;

  register(check: ReadinessCheck): void {
    this.checks.push(check);
  }

  /** Marks a start-up step that must finish before the process is ready. */
  hold(name: string): () => void {
    this.pending.add(name);
    return () => this.pending.delete(name);
  }

  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  async readiness(timeoutMs = 2000): Promise<HealthReport> {
    const checks: Record<string, string> = {};
    await Promise.all(
      this.checks.map(async (c) => {
        try {
          await withTimeout(c.check(), timeoutMs, `${c.name} did not answer in ${timeoutMs} ms`);
          checks[c.name] = 'ok';
        } catch (err) {
          checks[c.name] = err instanceof Error ? err.message : String(err);
        }
      }),
    );
    for (const name of this.pending) checks[name] = 'starting';
    if (this.shuttingDown) checks.process = 'shutting down';
    const ok = Object.values(checks).every((v) => v === 'ok');
    return { status: ok ? 'ok' : 'unavailable', checks };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
