/** Why a record or a configuration was refused. Adapters map `reason` to a catalog message. */
export type EngineErrorReason =
  | 'bad-timestamp' | 'bad-value' | 'missing-key' | 'invalid-config' | 'bad-expression' | 'unknown-aggregate'
  | 'bad-point' | 'write-rejected' | 'write-failed' | 'write-dropped'
  | 'not-debezium' | 'unknown-op' | 'schema-mismatch' | 'bad-lookup';

/** A typed error: the record (or config) it names was not applied, and the engine state is unchanged. */
export class EngineError extends Error {
  constructor(readonly reason: EngineErrorReason, message: string) {
    super(message);
    this.name = 'EngineError';
  }
}

export function invalidConfig(message: string): EngineError {
  return new EngineError('invalid-config', message);
}
