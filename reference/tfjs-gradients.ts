// Registers TensorFlow.js's gradient functions, which tfjs-core's Node bundle leaves out.
//
// Only the union package @tensorflow/tfjs registers them; with tfjs-core alone they live in
// its ES-module build (dist/register_all_gradients.js), whose imports have no extensions
// and whose package is not "type": "module", so Node cannot load it as is. A resolve hook
// adds the extensions and marks those files as ES modules. The copy of tfjs-core that
// build brings along shares the engine and the kernel and gradient registries with the
// Node bundle (tfjs keeps them on globalThis), so the gradients land where tf.grads looks.
import { register } from "node:module";

const resolveHook = `
const coreDist = "/@tensorflow/tfjs-core/dist/";
export async function resolve(specifier, context, next) {
  const fromCore = (context.parentURL ?? "").includes(coreDist);
  const relative = specifier.startsWith("./") || specifier.startsWith("../");
  const resolved = await next(fromCore && relative && !specifier.endsWith(".js") ? specifier + ".js" : specifier, context);
  const esmBuild = resolved.url.includes(coreDist) && !resolved.url.endsWith("/tf-core.node.js");
  return esmBuild ? { ...resolved, format: "module" } : resolved;
}`;

let registered: Promise<void> | null = null;

/** Registers every tfjs gradient once per process; later calls wait for the first. */
export function registerTfjsGradients(): Promise<void> {
  registered ??= (async () => {
    register("data:text/javascript," + encodeURIComponent(resolveHook), import.meta.url);
    await import("@tensorflow/tfjs-core/dist/register_all_gradients.js");
  })();
  return registered;
}
