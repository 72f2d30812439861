// Every diagnostic code the checker reports, with the one-line meaning listed in
// docs/language.md. Codes are stable: a code is never reused for another meaning.
// NN0xxx belong to the parser, NN1xxx are names and structure, NN2xxx types and values,
// NN3xxx warnings, NN9xxx internal errors.
import type { Severity } from "../diagnostics.js";

export interface CodeInfo {
  code: string;
  severity: Severity;
  title: string;
}

function code(code: string, title: string, severity: Severity = "error"): CodeInfo {
  return { code, severity, title };
}

export const codes = {
  unknownName: code("NN1001", "unknown name (with a suggestion when one is close)"),
  unknownLayer: code("NN1002", "unknown layer or block"),
  unknownLoss: code("NN1003", "unknown loss"),
  unknownOptimizer: code("NN1004", "unknown optimizer"),
  unknownInit: code("NN1005", "unknown init scheme"),
  unknownSchedule: code("NN1006", "unknown schedule"),
  unknownArgument: code("NN1007", "unknown named argument"),
  duplicateArgument: code("NN1008", "argument passed twice"),
  missingArgument: code("NN1009", "required argument or tensor input missing"),
  tooManyArguments: code("NN1010", "more positional arguments than the callee takes"),
  unknownWord: code("NN1011", "word argument not among the allowed words (`padding: same`)"),
  duplicateName: code("NN1012", "name declared twice in one scope (reported at the second)"),
  unknownTrainKey: code("NN1013", "unknown key in `train { }`"),
  duplicateTrainKey: code("NN1014", "key given twice in `train { }`"),
  targetOutsideLoss: code("NN1015", "a target used outside a loss"),
  constCycle: code("NN1016", "a const defined in terms of itself"),
  notInBlock: code("NN1017", "target, loss, optimizer or train inside a block"),
  blockShape: code("NN1018", "a block without exactly one output or without an input"),
  duplicateStatement: code("NN1019", "a second optimizer or train statement in one model"),
  unknownType: code("NN1020", "unknown element or parameter type"),
  notApplicable: code("NN1021", "a name used as the wrong kind of thing (a layer as a value, a value as a layer, a non-target in a loss)"),
  notFinite: code("NN1022", "a number too large to represent (`1e999`)"),
  noOutput: code("NN1023", "a model without an output"),
  sourceTooLarge: code("NN1024", "a file larger than the 1 MiB a .nn file may be"),
  unknownSurrogate: code("NN1025", "unknown surrogate gradient (`surrogate: fast_sigmoid(slope: 25)`)"),
  shapeMismatch: code("NN2001", "element-wise operands whose shapes do not broadcast"),
  layerConstraint: code("NN2002", "a layer's input does not fit its arguments (reported at the layer's name)"),
  badArgument: code("NN2003", "an argument value of the wrong kind or out of range (reported at the argument)"),
  expectedTensor: code("NN2004", "a number where a tensor is needed, or a tensor where a number is needed"),
  inexactDivision: code("NN2005", "`/` on whole numbers that does not divide exactly, or division by zero"),
  lossMismatch: code("NN2006", "a loss whose prediction and target do not fit (reported at the target)"),
  unsupportedOperation: code("NN2007", "an operator not defined on these operands (`tensor + 1`)"),
  badShape: code("NN2008", "a declared shape with a dimension that is not a positive whole number"),
  blockInput: code("NN2009", "a block called with an input that does not unify with its declared shape"),
  intOutput: code("NN2010", "a model output of integer ids: outputs are what the model computes, in floats"),
  modelTooLarge: code("NN2011", "a block call that would take the model past 100,000 operations once blocks are inlined (reported at the call)"),
  tooManyParameters: code("NN2012", "a model with more parameters than a training run can hold (reported at the model's name)"),
  unusedBinding: code("NN3001", "a binding that nothing uses", "warning"),
  notTrainable: code("NN3002", "a model without a loss or an optimizer: it compiles for inference only", "warning"),
  neverTrained: code("NN3003", "parameters that reach the loss only through a layer that passes no gradient (rate_encode): they never train", "warning"),
  internalError: code("NN9999", "a bug in the checker, reported instead of a crash"),
} as const satisfies Record<string, CodeInfo>;

export type CodeName = keyof typeof codes;
