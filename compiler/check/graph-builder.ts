// The graph under construction for one model: nodes appended in evaluation order (a node's
// id is its index), and whether the model leans on something that failed elsewhere.
import type { GraphNode, ParamSpec } from "../graph.js";

export class GraphBuilder {
  readonly nodes: GraphNode[] = [];
  /** Set when the model leans on something broken that reported elsewhere (a block with errors). */
  failed = false;
  /** Operations the block calls written in the model itself inline, as counted before each was expanded (blocks.ts). */
  inlinedOperations = 0;

  add(node: Omit<GraphNode, "id">): number {
    const id = this.nodes.length;
    // Spelled out rather than spread: one node per layer call adds up, and a spread copy is slower.
    this.nodes.push({
      id,
      op: node.op,
      inputs: node.inputs,
      args: node.args,
      type: node.type,
      params: node.params,
      source: node.source,
      name: node.name,
    });
    return id;
  }

  /** The parameters of every node added since `firstNode`: what one block call owns, or (from 0) the model. */
  paramsSince(firstNode: number): ParamSpec[] {
    const params: ParamSpec[] = [];
    for (let i = firstNode; i < this.nodes.length; i++) for (const p of this.nodes[i]!.params) params.push(p);
    return params;
  }
}
