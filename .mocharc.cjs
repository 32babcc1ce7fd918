// Mocha configuration (mocha 12, TypeScript specs through tsx).
// `npm test` (scripts/test.mjs) narrows the spec list with STREAMKIT_SPEC for its Node-RED 5 pass; mocha
// appends command-line spec paths to this list, so to run a subset use e.g.
//   STREAMKIT_SPEC='test/engine/**/*.spec.ts' npx mocha
'use strict';
module.exports = {
  require: ['tsx/cjs'],
  extension: ['ts'],
  spec: (process.env.STREAMKIT_SPEC || 'test/**/*.spec.ts').split(',').map((s) => s.trim()).filter(Boolean),
  exit: true,
  timeout: 20000,
};
