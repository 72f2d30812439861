// Debian's Chromium, driven by playwright-core, for the tests that need a real browser. A
// missing browser fails the test with the command that installs it: these tests never skip.
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM = process.env.NEURON_CHROMIUM ?? "/usr/bin/chromium";

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: the browser tests need it; install it with \`apt-get install chromium\` (as root), or point NEURON_CHROMIUM at one`);
  }
  // --no-sandbox: CI runs the tests as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
}

/** Console errors and uncaught exceptions of a page, collected as they happen. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(error.message));
  return errors;
}

/** Where screenshots go: a gitignored folder of the repository. */
export const artifactsDir = new URL("../../test-artifacts/", import.meta.url);
