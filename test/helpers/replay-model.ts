import { greedyNext } from './driver-fixture.js';

/**
 * What a context's replay history must hold, by Pie's rules: tokens merge by position, a different
 * token truncates there. Only requests the driver accepted are applied.
 */
export class ReplayModel {
  private readonly histories = new Map<number, number[]>();

  length(contextId: number): number {
    return this.histories.get(contextId)?.length ?? 0;
  }

  apply(contextId: number, positions: number[], tokens: number[]): void {
    const history = this.histories.get(contextId) ?? [];
    positions.forEach((position, i) => {
      if (position < history.length) {
        if (history[position] !== tokens[i]) {
          history.length = position;
          history.push(tokens[i]!);
        }
      } else if (position === history.length) history.push(tokens[i]!);
      else throw new Error(`model: gap at ${position} in context ${contextId} (${history.length} known)`);
    });
    this.histories.set(contextId, history);
  }

  /** The greedy token after position `last` of the context. */
  greedyAfter(contextId: number, last: number): number {
    return greedyNext(this.histories.get(contextId)!.slice(0, last + 1));
  }
}
