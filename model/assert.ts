/**
 * The model asserts its own invariants: a modelling mistake must fail loudly, never produce
 * a plausible wrong trace. A failed assertion is a bug in the model, not in the server.
 */
export class ModelInvariantError extends Error {
  constructor(message: string) {
    super(`model invariant broken: ${message}`);
    this.name = 'ModelInvariantError';
  }
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ModelInvariantError(message);
}
