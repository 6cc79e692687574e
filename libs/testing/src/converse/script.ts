import type { Behaviour, RecordedCall, Rule } from './types';

interface RuleState {
  rule: Rule;
  matched: number;
  applied: number;
}

/** Chooses a behaviour per call: one-shot queue first, then standing rules in order. */
export class Script {
  private queue: Behaviour[] = [];
  private rules: RuleState[] = [];

  enqueue(...behaviours: Behaviour[]): void {
    this.queue.push(...behaviours);
  }

  addRule(rule: Rule): () => void {
    if (rule.fraction !== undefined && !(rule.fraction >= 0 && rule.fraction <= 1)) {
      throw new RangeError(`rule fraction must lie in 0..1, got ${rule.fraction}`);
    }
    const state: RuleState = { rule, matched: 0, applied: 0 };
    this.rules.push(state);
    return () => {
      this.rules = this.rules.filter((s) => s !== state);
    };
  }

  clear(): void {
    this.queue = [];
    this.rules = [];
  }

  next(call: RecordedCall): Behaviour | undefined {
    const queued = this.queue.shift();
    if (queued) return queued;
    for (const state of this.rules) {
      const { rule } = state;
      if (rule.when && !rule.when(call)) continue;
      if (rule.times !== undefined && state.applied >= rule.times) continue;
      state.matched += 1;
      if (rule.fraction !== undefined && !fires(state.matched, rule.fraction)) continue;
      const behaviour = typeof rule.behaviour === 'function' ? rule.behaviour(call) : rule.behaviour;
      if (!behaviour) continue;
      state.applied += 1;
      return behaviour;
    }
    return undefined;
  }
}

// Even spread without randomness: fire whenever the running share crosses a whole number.
// The epsilon absorbs float error such as 0.57 * 100 = 56.99999999999999.
function fires(n: number, fraction: number): boolean {
  return Math.floor(n * fraction + 1e-9) > Math.floor((n - 1) * fraction + 1e-9);
}
