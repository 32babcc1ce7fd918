/**
 * Connection settings of the real services for integration specs (test/integration/<service>/).
 *
 * `npm test` starts the services (scripts/services.mjs) and passes what their scripts' `env` prints
 * (KAFKA_BROKERS, PGHOST, DEBEZIUM_CONNECT_URL, INFLUX_URL, …) in the environment. A spec asks for the
 * variables it needs in a `before` hook:
 *
 *   let kafka: Record<string, string>;
 *   before(function () { kafka = requireService(this, 'kafka', ['KAFKA_BROKERS']); });
 *
 * When a variable is missing the service is not running: under CI=true that is a failure (the hook throws);
 * elsewhere the suite is skipped with a warning, so a quick local run without services still works.
 */
export function requireService(ctx: Mocha.Context, service: string, vars: string[]): Record<string, string> {
  const missing = vars.filter((v) => !process.env[v]);
  if (missing.length === 0) return Object.fromEntries(vars.map((v) => [v, process.env[v] as string]));
  const msg = `${service} is not running (${missing.join(', ')} not set): start it with ` +
    `\`node scripts/services.mjs start ${service}\` or run \`npm test\`, which starts it`;
  if (/^(1|true|yes)$/i.test(process.env.CI ?? '')) throw new Error(`${msg} (CI=true: a missing service is a failure)`);
  console.warn(`      WARNING: ${msg}; skipped`);
  ctx.skip();
  throw new Error('unreachable: ctx.skip() throws');
}
