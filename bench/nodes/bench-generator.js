// A source node for `npm run bench` (Part B): the benchmark driver calls its `send(msg)` for every input
// message, so messages reach the node under test through Node-RED's own wiring and delivery, as from any
// generator node in a flow. Not part of the package (loaded only through the bench's nodesDir).
module.exports = function (RED) {
  function BenchGenerator(config) {
    RED.nodes.createNode(this, config);
  }
  RED.nodes.registerType('bench-generator', BenchGenerator);
};
