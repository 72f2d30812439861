import { describe, it, expect } from "vitest";
import { run } from "../cli/main.js";
describe("smoke", () => { it("runs", async () => { expect(await run([])).toBe(0); }); });
