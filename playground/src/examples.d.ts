// examples/*.nn, bundled by tools/build.ts for the page's menu.
declare module "neuron-playground:examples" {
  const examples: { name: string; text: string }[];
  export default examples;
}
