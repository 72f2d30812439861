// The browser's grammar/chevrotain.ts: the same values from the same single-file build of
// Chevrotain, imported directly (the build resolves "chevrotain" to it; tools/browser-only.ts).
export { CstParser, EOF, Lexer, MismatchedTokenException, createToken, createTokenInstance, tokenLabel, tokenMatcher } from "chevrotain";
