// A test node for the Kafka integration specs (loaded through settings.nodesDir or helper.load, never shipped):
// finishes every message after `delay` ms — one at a time with `serial`, all at once otherwise — appends
// {n: node name, p: partition, o: offset, i: payload.i} as a line to `file` (when set) just before calling done, and
// counts the messages it holds (`outstanding`, `maxOutstanding`). With `statsFile`, twice a second it appends
// {heap: heapUsed after a full collection (run Node with --expose-gc), max: maxOutstanding, finished}.
const fs = require('node:fs');

module.exports = function (RED) {
  function KafkaRecorder(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    const delay = Number(config.delay) || 0;
    node.outstanding = 0;
    node.maxOutstanding = 0;
    node.finished = 0;
    const queue = [];
    let busy = false;
    const finish = (msg, done) => {
      if (config.file) {
        const i = msg.payload && typeof msg.payload === 'object' && !Buffer.isBuffer(msg.payload) ? msg.payload.i : undefined;
        fs.appendFileSync(config.file, `${JSON.stringify({ n: config.name, p: msg.partition, o: msg.offset, i })}\n`);
      }
      node.outstanding--;
      node.finished++;
      done();
    };
    const next = () => {
      const job = queue.shift();
      if (!job) { busy = false; return; }
      busy = true;
      setTimeout(() => { finish(job.msg, job.done); next(); }, delay);
    };
    if (config.statsFile) {
      const timer = setInterval(() => {
        if (global.gc) global.gc();
        fs.appendFileSync(config.statsFile, `${JSON.stringify({ heap: process.memoryUsage().heapUsed, max: node.maxOutstanding, finished: node.finished })}\n`);
      }, 500);
      node.on('close', () => clearInterval(timer));
    }
    node.on('input', (msg, send, done) => {
      node.outstanding++;
      if (node.outstanding > node.maxOutstanding) node.maxOutstanding = node.outstanding;
      if (config.serial) {
        queue.push({ msg, done });
        if (!busy) next();
      } else if (delay > 0) setTimeout(() => finish(msg, done), delay);
      else finish(msg, done);
    });
  }
  RED.nodes.registerType('kafka-recorder', KafkaRecorder);
};
