// The escaping functions every piece of .nn text goes through on its way into a module.

import { describe, expect, it } from "vitest";
import { commentText, identifier, IdentifierPool, literal, propertyKey } from "../../compiler/emit/inert-text.js";
import { PAYLOADS } from "./hostile-models.js";
import { random } from "../support/fixtures.js";

/** A random string of payloads and ordinary characters. */
function hostileText(rnd: () => number): string {
  let text = "";
  for (let i = 0; i < 1 + rnd() * 8; i++) text += rnd() < 0.6 ? PAYLOADS[Math.floor(rnd() * PAYLOADS.length)]! : String.fromCharCode(32 + Math.floor(rnd() * 95));
  return text;
}

describe("inert text", () => {
  it("comments stay on one line and hold nothing that ends them or an enclosing <script>", () => {
    expect(commentText("dense(1 /* units\u2028eval(1);//*/)")).toBe("dense(1 /* units eval(1);//*\\/)");
    expect(commentText("a\r\nb\rc\nd\u2029e")).toBe("a b c d e");
    expect(commentText("</script><!--\u202e\u0000")).toBe("<\\/script><\\!--\\u202e\\u0000");
    const rnd = random(7);
    for (let i = 0; i < 2000; i++) {
      const text = commentText(hostileText(rnd));
      expect(text).not.toMatch(/\*\/|<\/|<!--|[\n\r\u2028\u2029\u0000-\u001f\u202e]/);
      expect(commentText(text)).toBe(text);
    }
  });

  it("literals are JSON for the same value, with nothing that ends an enclosing <script> or a line", () => {
    const rnd = random(11);
    for (let i = 0; i < 2000; i++) {
      const value = { name: hostileText(rnd), list: [hostileText(rnd), 1.5, true, null] };
      const text = literal(value);
      expect(JSON.parse(text)).toEqual(value);
      expect(text).not.toMatch(/<|>|[\n\r\u2028\u2029\u202e]/);
    }
  });

  it("declared names are identifiers or nothing; property names are quoted unless identifiers", () => {
    expect(identifier("XorModel")).toBe("XorModel");
    expect(() => identifier("a b")).toThrow("internal error");
    expect(() => identifier("x\u2028")).toThrow("internal error");
    expect(propertyKey("__proto__")).toBe("__proto__");
    expect(propertyKey("a</script>")).toBe('"a\\u003c/script\\u003e"');
  });
});

describe("IdentifierPool", () => {
  it("makes one identifier of any text, never one reserved or handed out before", () => {
    const pool = new IdentifierPool(["constructor", "info"]);
    expect(pool.fresh("hidden.dense + tanh_out")).toBe("hidden_dense_tanh_out");
    expect(pool.fresh("hidden.dense + tanh_out")).toBe("hidden_dense_tanh_out_2");
    expect(pool.fresh("constructor")).toBe("constructor_2");
    expect(pool.fresh("info")).toBe("info_2");
    expect(pool.fresh("3d.conv")).toBe("_3d_conv");
    expect(pool.fresh("λ")).toBe("value");
    for (const payload of PAYLOADS) expect(pool.fresh(payload)).toMatch(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/);
  });

  it("makes a pair, an identifier and its prefixed form, both new, whatever the length", () => {
    const pool = new IdentifierPool(["grad_w"]);
    expect(pool.fresh("h")).toBe("h");
    expect(pool.freshPair("w", "grad_")).toEqual(["w_2", "grad_w_2"]);
    expect(pool.freshPair("h", "grad_")).toEqual(["h_2", "grad_h_2"]);
    expect(pool.fresh("grad_h_2")).toBe("grad_h_2_2");
    const long = "x".repeat(80);
    expect(pool.freshPair(long, "grad_")).toEqual(["x".repeat(60), `grad_${"x".repeat(60)}`]);
  });
});
