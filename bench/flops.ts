// How much arithmetic one training step of a model really is, to turn samples/s into
// GFLOP/s. Counts the multiply-adds of the matrix-shaped work (dense, conv2d, attention)
// per sample: the forward pass, the weight gradients, and the input gradients only where
// something upstream is trainable (nobody computes d loss / d image). Element-wise ops,
// normalisation, losses and the optimizer are left out: they are a few percent of the total
// for these models and are not multiply-add bound. One multiply-add = 2 FLOPs.
import type { GraphNode, ModelGraph } from "../compiler/graph.js";

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Multiply-adds per sample of one node, by the pass that does them. */
interface NodeWork {
  forward: number;
  /** d loss / d weights (the node's parameters are all trainable here). */
  weightGradients: number;
  /** d loss / d inputs: done only when something upstream is trainable. */
  inputGradients: number;
  /** Backward work inside the node that its own parameters always need (attention's heads). */
  innerGradients: number;
}

const none: NodeWork = { forward: 0, weightGradients: 0, inputGradients: 0, innerGradients: 0 };

function nodeWork(node: GraphNode, graph: ModelGraph): NodeWork {
  const inputShape = (i: number) => graph.nodes[node.inputs[i]!]!.type.shape;
  const matrixProduct = (work: number): NodeWork => ({ forward: work, weightGradients: work, inputGradients: work, innerGradients: 0 });
  switch (node.op) {
    case "dense": {
      const inShape = inputShape(0);
      const rows = product(inShape.slice(0, -1));
      return matrixProduct(rows * inShape[inShape.length - 1]! * node.type.shape[node.type.shape.length - 1]!);
    }
    case "conv2d": {
      const [, inChannels, kh, kw] = node.params[0]!.shape as [number, number, number, number];
      return matrixProduct(product(node.type.shape) * inChannels * kh * kw);
    }
    case "self_attention":
    case "attention": {
      const [queryLength, width] = node.type.shape as [number, number];
      const keyLength = node.op === "attention" ? inputShape(1)[0]! : queryLength;
      const projections = (2 * queryLength + 2 * keyLength) * width * width;
      // Q K^T and P V, each differentiated with respect to both of its operands.
      const heads = 2 * queryLength * keyLength * width;
      return {
        forward: projections + heads,
        weightGradients: projections,
        inputGradients: (queryLength + 2 * keyLength) * width * width,
        innerGradients: queryLength * width * width + 2 * heads,
      };
    }
    default:
      return none;
  }
}

/** Multiply-adds of one training step (forward + backward) per sample. */
export function trainingMultiplyAddsPerSample(graph: ModelGraph): number {
  // A node's output needs a gradient when anything at or before it is trainable.
  const needsGradient = new Array<boolean>(graph.nodes.length).fill(false);
  let total = 0;
  for (const node of graph.nodes) {
    const trainable = node.params.some((p) => p.trainable);
    const inputsNeedGradient = node.inputs.some((id) => needsGradient[id]);
    needsGradient[node.id] = trainable || inputsNeedGradient;
    const work = nodeWork(node, graph);
    total += work.forward + (trainable ? work.weightGradients + work.innerGradients : 0) + (inputsNeedGradient ? work.inputGradients : 0);
  }
  return total;
}

/** Multiply-adds of one inference pass per sample. */
export function inferenceMultiplyAddsPerSample(graph: ModelGraph): number {
  return graph.nodes.reduce((total, node) => total + nodeWork(node, graph).forward, 0);
}
