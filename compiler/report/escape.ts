// The one way user text (model, tensor and file names, messages) enters the HTML and SVG that
// the training report and the playground build as strings: every such string goes through
// `escapeHtml`, which is safe both in element content and in quoted attribute values.

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}
