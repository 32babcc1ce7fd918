/**
 * Decimals as exact strings (SPEC §7.9). Kafka Connect's `Decimal` travels as the big-endian two's-complement
 * unscaled integer (base64 in JSON) with the scale in the schema; Debezium's `VariableScaleDecimal` carries its
 * scale beside the bytes; with `decimal.format=NUMERIC` the converter writes a JSON number instead.
 */
import { NumberText } from './lossless-json';

/** The unscaled integer of big-endian two's-complement bytes. */
export function unscaledFromBytes(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  if (b.length <= 6) {
    let v = b[0] >= 0x80 ? b[0] - 0x100 : b[0];
    for (let i = 1; i < b.length; i++) v = v * 256 + b[i];
    return v;
  }
  // Six bytes (48 bits, exact in a double) at a time: a BigInt operation costs far more than a number's.
  let v = 0n;
  let i = 0;
  for (let head = b.length % 6 || 6; i < b.length; head = 6) {
    let chunk = 0;
    for (const end = i + head; i < end; i++) chunk = chunk * 256 + b[i];
    v = (v << BigInt(8 * head)) | BigInt(chunk);
  }
  return b[0] >= 0x80 ? v - (1n << BigInt(8 * b.length)) : v;
}

/** `unscaled × 10^−scale` written with exactly `scale` fraction digits (none for scale ≤ 0). */
export function formatScaled(unscaled: number | bigint, scale: number): string {
  const neg = unscaled < 0;
  let digits = (neg ? -unscaled : unscaled).toString();
  const sign = neg ? '-' : '';
  if (scale <= 0) return sign + digits + (digits === '0' ? '' : '0'.repeat(-scale));
  if (digits.length <= scale) digits = '0'.repeat(scale - digits.length + 1) + digits;
  return `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/** A decimal written as a JSON number (or its text), with exactly `scale` fraction digits when a scale is given. */
export function decimalFromNumber(v: number | bigint | NumberText, scale: number | undefined): string {
  const text = v instanceof NumberText ? v.text : String(v);
  const m = /^(-?)(\d+)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) return text;
  const [, sign, int, frac = '', exp = '0'] = m;
  // digits × 10^(e − fraction length), as an unscaled integer at the wanted scale
  const digits = (int + frac).replace(/^0+(?=\d)/, '');
  const pointAt = Number(exp) - frac.length;
  const target = scale ?? Math.max(0, -pointAt);
  const shift = pointAt + target;
  const unscaled = shift >= 0 ? digits + '0'.repeat(shift) : digits.slice(0, Math.max(0, digits.length + shift)) || '0';
  const s = formatScaled(BigInt(unscaled), target);
  return sign && /[1-9]/.test(s) ? `-${s}` : s;
}
