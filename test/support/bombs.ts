// Files that are small as text and enormous once checked: blocks that each call the one
// before twice (2^n copies of the first after inlining), for the checker's and the language
// server's limits.

/** `depth` blocks, each calling the one before twice, and a model calling the last. 30 is 2 KB of text and 2^30 layer calls. */
export function blockBomb(depth: number, first = "x |> dense(4)"): string {
  let text = `block B0 {\n  input x: [N]\n  output y = ${first}\n}\n`;
  for (let i = 1; i < depth; i++) text += `block B${i} {\n  input x: [N]\n  output y = x |> B${i - 1} |> B${i - 1}\n}\n`;
  return `${text}model Bomb {\n  input x: [4]\n  target t: [4]\n  output y = x |> B${depth - 1}\n  loss mse(y, t)\n  optimizer sgd(lr: 0.1)\n}\n`;
}
