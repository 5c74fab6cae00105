// A byte-level pushdown automaton for JSON text (RFC 8259), used to constrain generation to valid JSON.
// The whole state is five small integers (no allocation per byte), so a caller can save and restore it cheaply
// while it tries every token of a vocabulary from the same state (json-token-table.ts).

/** Lexical states. Values, structure and the insides of strings, numbers and the literals true/false/null. */
const VALUE = 0; //       a value must come (after ':' or ',' in an array, or at the start)
const ARR_FIRST = 1; //   after '[': a value or ']'
const OBJ_FIRST = 2; //   after '{': a key or '}'
const OBJ_KEY = 3; //     after ',' in an object: a key
const COLON = 4; //       after a key: ':'
const AFTER = 5; //       after a value inside a container: ',' or the container's close
const DONE = 6; //        the top-level value is complete: nothing more
const STR = 7; //         inside a string
const STR_ESC = 8; //     after a backslash
const STR_U1 = 9; //      STR_U1..STR_U4: that many hex digits of a \u escape still to come
const STR_U4 = 12;
const N_MINUS = 13; //    '-'
const N_ZERO = 14; //     a leading 0 (accepting)
const N_INT = 15; //      integer digits (accepting)
const N_DOT = 16; //      '.' (a digit must follow)
const N_FRAC = 17; //     fraction digits (accepting)
const N_E = 18; //        'e' or 'E'
const N_ESIGN = 19; //    the exponent's sign
const N_EXP = 20; //      exponent digits (accepting)
const LIT = 21; //        LIT + i: the literal byte LITERALS[i] must come next

// true, false and null, each followed by a 0 byte that marks its end.
const LITERALS = 'true\0false\0null\0';
const LIT_TRUE = LIT + 1;
const LIT_FALSE = LIT + 6;
const LIT_NULL = LIT + 12;

const OBJ = 0;
const ARR = 1;

/** The largest nesting depth a state can hold (the container kinds are bits of one 32-bit integer). */
export const JSON_MAX_DEPTH = 31;

export interface JsonGrammarOptions {
  /** 'object' (OpenAI's json_object: the top-level value is an object) or 'value' (any JSON value). */
  readonly root: 'object' | 'value';
  /** Most containers open at once, 1..JSON_MAX_DEPTH: a deeper '{' or '[' is refused. */
  readonly maxDepth: number;
  /** Most whitespace bytes in a row between tokens of the structure (bounds a model that only emits spaces). */
  readonly maxWhitespace: number;
}

const isWs = (b: number): boolean => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;
const isHex = (b: number): boolean => isDigit(b) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46);

/**
 * Where a JSON text is after the bytes fed so far. `step` returns false (leaving the cursor in an unspecified
 * state) for a byte that cannot extend the prefix to valid JSON. Bytes >= 0x80 are only accepted inside strings
 * and are not checked as UTF-8: a tokenizer decodes a cut character to U+FFFD, which is valid in JSON text.
 */
export class JsonCursor {
  lex = VALUE;
  /** Inside a string: 1 if it is an object key. */
  key = 0;
  depth = 0;
  /** Bit i: the kind (OBJ 0 / ARR 1) of the container at depth i; bits at and above depth are 0. */
  kinds = 0;
  /** Whitespace bytes in the current run. */
  ws = 0;

  constructor(readonly options: JsonGrammarOptions) {}

  /** The text so far is a complete value (end of generation is allowed). */
  get complete(): boolean {
    return this.lex === DONE || (this.depth === 0 && (this.lex === N_ZERO || this.lex === N_INT || this.lex === N_FRAC || this.lex === N_EXP));
  }

  /** A key for the whole state: equal keys accept exactly the same continuations. */
  get stateKey(): string {
    return `${this.lex},${this.key},${this.depth},${this.kinds},${this.ws}`;
  }

  copyFrom(c: JsonCursor): void {
    this.lex = c.lex;
    this.key = c.key;
    this.depth = c.depth;
    this.kinds = c.kinds;
    this.ws = c.ws;
  }

  step(b: number): boolean {
    const lex = this.lex;
    if (lex >= LIT) {
      if (b !== LITERALS.charCodeAt(lex - LIT)) return false;
      if (LITERALS.charCodeAt(lex - LIT + 1) === 0) return this.valueEnd();
      this.lex = lex + 1;
      return true;
    }
    switch (lex) {
      case STR:
        if (b === 0x22) {
          if (this.key === 0) return this.valueEnd();
          this.lex = COLON;
          this.ws = 0;
          return true;
        }
        if (b === 0x5c) this.lex = STR_ESC;
        return b >= 0x20; // control characters must be escaped
      case STR_ESC:
        if (b === 0x75) this.lex = STR_U4;
        else if (b === 0x22 || b === 0x5c || b === 0x2f || b === 0x62 || b === 0x66 || b === 0x6e || b === 0x72 || b === 0x74) this.lex = STR;
        else return false;
        return true;
      case STR_U1:
      case STR_U1 + 1:
      case STR_U1 + 2:
      case STR_U4:
        if (!isHex(b)) return false;
        this.lex = lex === STR_U1 ? STR : lex - 1;
        return true;
      case N_MINUS:
        if (b === 0x30) this.lex = N_ZERO;
        else if (isDigit(b)) this.lex = N_INT;
        else return false;
        return true;
      case N_ZERO:
      case N_INT:
        if (isDigit(b) && lex === N_INT) return true;
        if (b === 0x2e) return this.to(N_DOT);
        if (b === 0x65 || b === 0x45) return this.to(N_E);
        return this.valueEnd() && this.step(b);
      case N_DOT:
        return isDigit(b) && this.to(N_FRAC);
      case N_FRAC:
        if (isDigit(b)) return true;
        if (b === 0x65 || b === 0x45) return this.to(N_E);
        return this.valueEnd() && this.step(b);
      case N_E:
        if (b === 0x2b || b === 0x2d) return this.to(N_ESIGN);
        return isDigit(b) && this.to(N_EXP);
      case N_ESIGN:
        return isDigit(b) && this.to(N_EXP);
      case N_EXP:
        if (isDigit(b)) return true;
        return this.valueEnd() && this.step(b);
      case DONE:
        return false;
    }
    // the structural states: whitespace (none before the top-level value: the output starts with it), then what
    // each expects
    if (isWs(b)) return (this.depth > 0 || lex !== VALUE) && ++this.ws <= this.options.maxWhitespace;
    this.ws = 0;
    switch (lex) {
      case VALUE:
        return this.startValue(b);
      case ARR_FIRST:
        return b === 0x5d ? this.close() : this.startValue(b);
      case OBJ_FIRST:
        return b === 0x7d ? this.close() : b === 0x22 && this.startKey();
      case OBJ_KEY:
        return b === 0x22 && this.startKey();
      case COLON:
        return b === 0x3a && this.to(VALUE);
      default: {
        // AFTER
        const top = (this.kinds >>> (this.depth - 1)) & 1;
        if (b === 0x2c) return this.to(top === OBJ ? OBJ_KEY : VALUE);
        if (b === 0x7d) return top === OBJ && this.close();
        return b === 0x5d && top === ARR && this.close();
      }
    }
  }

  private to(lex: number): true {
    this.lex = lex;
    return true;
  }

  private startKey(): true {
    this.key = 1;
    return this.to(STR);
  }

  private startValue(b: number): boolean {
    if (this.depth === 0 && this.options.root === 'object' && b !== 0x7b) return false;
    switch (b) {
      case 0x7b:
        return this.open(OBJ, OBJ_FIRST);
      case 0x5b:
        return this.open(ARR, ARR_FIRST);
      case 0x22:
        this.key = 0;
        return this.to(STR);
      case 0x2d:
        return this.to(N_MINUS);
      case 0x30:
        return this.to(N_ZERO);
      case 0x74:
        return this.to(LIT_TRUE);
      case 0x66:
        return this.to(LIT_FALSE);
      case 0x6e:
        return this.to(LIT_NULL);
      default:
        return isDigit(b) && this.to(N_INT);
    }
  }

  private open(kind: number, lex: number): boolean {
    if (this.depth >= this.options.maxDepth) return false;
    this.kinds |= kind << this.depth;
    this.depth++;
    return this.to(lex);
  }

  private close(): true {
    this.depth--;
    this.kinds &= ~(1 << this.depth);
    return this.valueEnd();
  }

  private valueEnd(): true {
    this.ws = 0;
    return this.to(this.depth === 0 ? DONE : AFTER);
  }
}
