// The losses of the language in TensorFlow.js, each averaged as PyTorch's default
// `reduction='mean'` does: over the batch and every position.
import { tf } from "./tfjs-backend.js";

/** log(p) held at -100 where p underflows, as PyTorch's binary_cross_entropy does; the gradient is 0 there. */
function clampedLog(p: tf.Tensor): tf.Tensor {
  return tf.log(tf.clipByValue(p, Math.exp(-100), Infinity));
}

export type TfjsLoss = (prediction: tf.Tensor, target: tf.Tensor) => tf.Scalar;

export const tfjsLosses: Record<string, TfjsLoss> = {
  /** Logits [B, ..., K] against integer classes [B, ...]: mean of -log softmax at the class. */
  softmax_cross_entropy(logits, classes) {
    const classCount = logits.shape[logits.rank - 1]!;
    const oneHot = tf.oneHot(tf.reshape(classes, [-1]), classCount);
    const logProbabilities = tf.logSoftmax(tf.reshape(logits, [-1, classCount]));
    return tf.neg(tf.mean(tf.sum(tf.mul(oneHot, logProbabilities), -1)));
  },
  /** Logits [B, T, ..., K] against classes [B, ...]: softmax_cross_entropy at each step, summed over T. */
  softmax_cross_entropy_sum_time(logits, classes) {
    const steps = logits.shape[1]!;
    let total = tf.scalar(0);
    for (let s = 0; s < steps; s++) {
      const step = tf.squeeze(tf.slice(logits, [0, s], [-1, 1]), [1]);
      total = tf.add(total, tfjsLosses["softmax_cross_entropy"]!(step, classes));
    }
    return total;
  },
  /** Probabilities against 0/1 targets of the same shape. */
  binary_cross_entropy(p, y) {
    const perElement = tf.add(tf.mul(y, clampedLog(p)), tf.mul(tf.sub(1, y), clampedLog(tf.sub(1, p))));
    return tf.neg(tf.mean(perElement));
  },
  /** Probabilities against probability targets over the last axis: mean over the other axes of -sum y log p. */
  cross_entropy(p, y) {
    return tf.neg(tf.mean(tf.sum(tf.mul(y, clampedLog(p)), -1)));
  },
  mse(prediction, target) {
    return tf.mean(tf.squaredDifference(prediction, target));
  },
};
