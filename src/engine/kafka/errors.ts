/**
 * Kafka failures as typed errors that say what the user can do, in the manner of kafkajs' own error classes:
 * a `reason` (adapters word it from their catalog), whether retrying can help (`retriable`), and the client's
 * original error as `cause`.
 */

export type KafkaErrorReason =
  /** The brokers cannot be reached: address, port, network, or a broker that is down. */
  | 'connection'
  /** SASL login refused: user name, password or mechanism. */
  | 'authentication'
  /** TLS handshake failed: CA, certificate, or TLS against a plain listener. */
  | 'tls'
  /** An ACL refuses the topic, group or cluster operation. */
  | 'authorization'
  /** The topic does not exist and the broker does not create topics automatically. */
  | 'unknown-topic'
  /** The record exceeds the broker's or topic's maximum message size. */
  | 'record-too-large'
  /** The topic holds batches compressed with a codec this client cannot decode. */
  | 'unsupported-compression'
  /** A consumed record whose key, value or headers cannot be decoded as configured. */
  | 'bad-record'
  /** A message that cannot become a Kafka record (no topic, bad partition, no value). */
  | 'bad-message'
  /** The producer's buffer is full while the brokers cannot take records. */
  | 'buffer-full'
  /** The node stopped before the record was delivered. */
  | 'closed'
  /** Any other broker or client error. */
  | 'broker';

export class KafkaError extends Error {
  constructor(readonly reason: KafkaErrorReason, message: string, readonly retriable = false, readonly cause?: unknown) {
    super(message);
    this.name = 'KafkaError';
  }
}

/** A record that could not be decoded, with its raw key, value and headers. */
export class KafkaRecordError extends KafkaError {
  constructor(message: string, readonly raw: RawRecord, cause?: unknown) {
    super('bad-record', message, false, cause);
    this.name = 'KafkaRecordError';
  }
}

export interface RawRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, unknown>;
  timestamp: string;
}

interface ClientError { name?: string; message?: string; type?: string; retriable?: boolean; cause?: unknown; code?: string; originalError?: unknown }

/** The innermost error kafkajs wraps (KafkaJSNumberOfRetriesExceeded and friends carry the real one as `cause`). */
function rootCause(err: ClientError): ClientError {
  let e = err;
  for (let i = 0; i < 8 && e && typeof e === 'object'; i++) {
    const next = (e.cause ?? e.originalError) as ClientError | undefined;
    if (!next || typeof next !== 'object') break;
    e = next;
  }
  return e;
}

const TLS_CODES = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_SSL|EPROTO|HOSTNAME/;

/** Classifies any error a kafkajs call threw; a KafkaError is returned as it is. */
export function toKafkaError(err: unknown): KafkaError {
  if (err instanceof KafkaError) return err;
  const e = (err ?? {}) as ClientError;
  const root = rootCause(e);
  const detail = root.message ?? e.message ?? String(err);
  const retriable = e.name === 'KafkaJSNumberOfRetriesExceeded' ? root.retriable !== false : root.retriable === true;
  const names = `${e.name ?? ''} ${root.name ?? ''}`;
  const type = root.type ?? e.type ?? '';
  const code = `${root.code ?? ''} ${detail}`;
  const make = (reason: KafkaErrorReason, r = retriable) => new KafkaError(reason, detail, r, err);
  if (/SASLAuthentication/.test(names) || type === 'SASL_AUTHENTICATION_FAILED' || type === 'ILLEGAL_SASL_STATE') return make('authentication', false);
  if (/AUTHORIZATION_FAILED/.test(type)) return make('authorization', false);
  if (type === 'UNKNOWN_TOPIC_OR_PARTITION' || /KafkaJSTopicMetadataNotLoaded/.test(names)) return make('unknown-topic');
  if (type === 'MESSAGE_TOO_LARGE' || type === 'RECORD_LIST_TOO_LARGE') return make('record-too-large', false);
  if (/compression not implemented|Unsupported compression/i.test(detail)) return make('unsupported-compression', false);
  if (TLS_CODES.test(code) && !/ECONNREFUSED/.test(code)) return make('tls', false);
  if (/Connection|NoBrokerAvailable|BrokerNotFound|RequestTimeout|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND/i.test(`${names} ${code}`)) {
    return make('connection', true);
  }
  return make('broker');
}
