// A sink node for `npm run bench` (Part B): hands every message it receives to the benchmark driver, which
// runs in the same process and counts them. Not part of the package (loaded only through the bench's nodesDir).
module.exports = function (RED) {
  function BenchCounter(config) {
    RED.nodes.createNode(this, config);
    const node = this;
    node.on('input', function (msg, send, done) {
      const hook = globalThis.__streamkitBenchCounter;
      if (typeof hook === 'function') hook(node.id, msg);
      done();
    });
  }
  RED.nodes.registerType('bench-counter', BenchCounter);
};
