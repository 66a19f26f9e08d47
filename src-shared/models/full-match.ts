/**
 * Whole-value matching of a package's `value` pattern without backtracking.
 *
 * Why not `new RegExp(p).test(v)`: V8's engine backtracks and Node has no regex timeout, so a pattern such as
 * `(a+)+$` — or IBM's own `((http:\/\/|https:\/\/)(.*)+)` on a value that fails late — takes exponential time, and
 * the patterns come from files we did not write. Refusing "nested quantifiers" would refuse IBM's own example.
 * Instead, patterns are compiled here to a Thompson NFA and run as a Pike VM: time is O(pattern size × value
 * length), whatever the pattern, and the caller bounds that product (see `MatchBudget`).
 *
 * Scope: JavaScript RegExp syntax without flags (Annex B, non-Unicode: the value is read as UTF-16 code units,
 * exactly as `new RegExp(p)` reads it), for the pattern as a whole value: `^(?:p)$`. Only a yes/no answer is
 * needed, so greedy and lazy quantifiers are the same and groups are transparent. Constructs a finite automaton
 * cannot express (backreferences, lookaround) and a few obscure Annex B corners are reported as unsupported,
 * never guessed. Callers must first check that `new RegExp(p)` compiles: this parser trusts the syntax is valid
 * and only re-reads it (it reports anything surprising as unsupported rather than trying to diagnose it).
 *
 * Pure TypeScript with no Node import, so the renderer's "Run action" form can use the same matcher.
 */

/** Sorted, disjoint, inclusive UTF-16 code-unit ranges: [lo0, hi0, lo1, hi1, …]. */
type Ranges = number[]

const enum Assertion {
  Start,
  End,
  WordBoundary,
  NotWordBoundary,
}

type Ast = { t: 'set'; ranges: Ranges } | { t: 'seq'; items: Ast[] } | { t: 'alt'; options: Ast[] } | { t: 'rep'; body: Ast; min: number; max: number } | { t: 'assert'; kind: Assertion }

/** Deeper groups are not checked (the parser and compiler recurse once per group level). */
const MAX_GROUP_DEPTH = 100
/** Bounded repetition counts above this are not expanded. */
const MAX_REPEAT = 1000
/** Instructions in one compiled pattern; `(a{1000}){1000}` would otherwise expand to a million. */
export const MAX_PROGRAM_SIZE = 20_000
/** Longer patterns are not read at all (the syntax tree would be built before the program size could refuse it). */
export const MAX_PATTERN_LENGTH = 100_000

const MAX_CODE_UNIT = 0xffff
const DIGIT: Ranges = [0x30, 0x39]
const WORD: Ranges = [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a]
// ECMAScript WhiteSpace and LineTerminator: what \s means without the u flag.
const SPACE: Ranges = [0x09, 0x0d, 0x20, 0x20, 0xa0, 0xa0, 0x1680, 0x1680, 0x2000, 0x200a, 0x2028, 0x2029, 0x202f, 0x202f, 0x205f, 0x205f, 0x3000, 0x3000, 0xfeff, 0xfeff]
const LINE_TERMINATORS: Ranges = [0x0a, 0x0a, 0x0d, 0x0d, 0x2028, 0x2029]

function normalize(pairs: Ranges): Ranges {
  const list: [number, number][] = []
  for (let i = 0; i < pairs.length; i += 2) list.push([pairs[i]!, pairs[i + 1]!])
  list.sort((a, b) => a[0] - b[0])
  const out: Ranges = []
  for (const [lo, hi] of list) {
    const last = out.length - 1
    if (out.length > 0 && lo <= out[last]! + 1) out[last] = Math.max(out[last]!, hi)
    else out.push(lo, hi)
  }
  return out
}

function complement(ranges: Ranges): Ranges {
  const out: Ranges = []
  let next = 0
  for (let i = 0; i < ranges.length; i += 2) {
    if (ranges[i]! > next) out.push(next, ranges[i]! - 1)
    next = ranges[i + 1]! + 1
  }
  if (next <= MAX_CODE_UNIT) out.push(next, MAX_CODE_UNIT)
  return out
}

const DOT = complement(LINE_TERMINATORS)

function inRanges(ranges: Ranges, c: number): boolean {
  let lo = 0
  let hi = (ranges.length >> 1) - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (c < ranges[2 * mid]!) hi = mid - 1
    else if (c > ranges[2 * mid + 1]!) lo = mid + 1
    else return true
  }
  return false
}

const isWordUnit = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || (c >= 0x61 && c <= 0x7a)

/** Thrown inside the parser/compiler; turned into a result by `compileFullMatch`. */
class Unsupported {
  constructor(readonly construct: string) {}
}
class TooComplex {}

const isDigit = (ch: string | undefined) => ch !== undefined && ch >= '0' && ch <= '9'
const isHex = (s: string) => /^[0-9A-Fa-f]+$/.test(s)
const isLetter = (ch: string | undefined) => ch !== undefined && /^[A-Za-z]$/.test(ch)

/** A class atom is one code unit, or a class escape standing for a set (\d, \w, …). */
type ClassAtom = { unit: number } | { set: Ranges }

class Parser {
  #i = 0
  readonly #quantifier = /\{(\d+)(,(\d*))?\}/y

  constructor(readonly p: string) {}

  parse(): Ast {
    const ast = this.#alternation(0)
    if (this.#i < this.p.length) throw new Unsupported(this.p[this.#i]!)
    return ast
  }

  #alternation(depth: number): Ast {
    const options = [this.#sequence(depth)]
    while (this.p[this.#i] === '|') {
      this.#i++
      options.push(this.#sequence(depth))
    }
    return options.length === 1 ? options[0]! : { t: 'alt', options }
  }

  #sequence(depth: number): Ast {
    const items: Ast[] = []
    while (this.#i < this.p.length && this.p[this.#i] !== '|' && this.p[this.#i] !== ')') items.push(this.#term(depth))
    return items.length === 1 ? items[0]! : { t: 'seq', items }
  }

  #term(depth: number): Ast {
    const atom = this.#atom(depth)
    const q = this.#quantifierAt()
    if (!q) return atom
    // RegExp refuses a quantified ^, $, \b and \B; never reached for a pattern that compiled.
    if (atom.t === 'assert') throw new Unsupported('quantified assertion')
    return { t: 'rep', body: atom, min: q.min, max: q.max }
  }

  #quantifierAt(): { min: number; max: number } | undefined {
    const c = this.p[this.#i]
    let min: number
    let max: number
    if (c === '*') [min, max] = [0, Infinity]
    else if (c === '+') [min, max] = [1, Infinity]
    else if (c === '?') [min, max] = [0, 1]
    else if (c === '{') {
      this.#quantifier.lastIndex = this.#i
      const m = this.#quantifier.exec(this.p)
      // Annex B: a brace that does not form {n}, {n,} or {n,m} is a literal character.
      if (!m) return undefined
      min = Number(m[1])
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3])
      this.#i += m[0].length - 1
    } else return undefined
    this.#i++
    if (this.p[this.#i] === '?') this.#i++ // lazy: the same yes/no answer
    if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT)) throw new TooComplex()
    if (min > max) throw new Unsupported('{n,m}')
    return { min, max }
  }

  #atom(depth: number): Ast {
    const c = this.p[this.#i]!
    switch (c) {
      case '^':
        this.#i++
        return { t: 'assert', kind: Assertion.Start }
      case '$':
        this.#i++
        return { t: 'assert', kind: Assertion.End }
      case '.':
        this.#i++
        return { t: 'set', ranges: DOT }
      case '(':
        return this.#group(depth)
      case '[':
        return this.#class()
      case '\\':
        return this.#escape()
      case '*':
      case '+':
      case '?':
        throw new Unsupported(c)
      default:
        // Includes ']', '}' and a '{' that is not a quantifier: literal characters in Annex B.
        this.#i++
        return unit(c.charCodeAt(0))
    }
  }

  #group(depth: number): Ast {
    const p = this.p
    this.#i++
    if (p.startsWith('?:', this.#i)) this.#i += 2
    else if (p.startsWith('?<', this.#i) && p[this.#i + 2] !== '=' && p[this.#i + 2] !== '!') {
      const close = p.indexOf('>', this.#i)
      if (close < 0) throw new Unsupported('(?<')
      this.#i = close + 1
    } else if (p[this.#i] === '?') {
      // Lookahead (?= (?!, lookbehind (?<= (?<!, modifiers (?i: — beyond a finite automaton or this reader.
      throw new Unsupported(`(${p.slice(this.#i, this.#i + (p[this.#i + 1] === '<' ? 3 : 2))}`)
    }
    if (depth + 1 > MAX_GROUP_DEPTH) throw new TooComplex()
    const body = this.#alternation(depth + 1)
    if (p[this.#i] !== ')') throw new Unsupported('(')
    this.#i++
    // A group is transparent, but `(\b)+` is a quantified group, not a quantified assertion: keep it apart.
    return body.t === 'assert' ? { t: 'seq', items: [body] } : body
  }

  /** An escape outside a class; `this.#i` is on the backslash. */
  #escape(): Ast {
    const n = this.p[this.#i + 1]
    switch (n) {
      case 'b':
        this.#i += 2
        return { t: 'assert', kind: Assertion.WordBoundary }
      case 'B':
        this.#i += 2
        return { t: 'assert', kind: Assertion.NotWordBoundary }
      default: {
        const atom = this.#escapeAtom(false)
        return 'set' in atom ? { t: 'set', ranges: atom.set } : unit(atom.unit)
      }
    }
  }

  /** The escapes that stand for characters or sets, in or out of a class; `this.#i` is on the backslash. */
  #escapeAtom(inClass: boolean): ClassAtom {
    const p = this.p
    const n = p[this.#i + 1]
    this.#i += 2
    switch (n) {
      case undefined:
        throw new Unsupported('\\')
      case 'd':
        return { set: DIGIT }
      case 'D':
        return { set: complement(DIGIT) }
      case 'w':
        return { set: WORD }
      case 'W':
        return { set: complement(WORD) }
      case 's':
        return { set: SPACE }
      case 'S':
        return { set: complement(SPACE) }
      case 't':
        return { unit: 0x09 }
      case 'n':
        return { unit: 0x0a }
      case 'v':
        return { unit: 0x0b }
      case 'f':
        return { unit: 0x0c }
      case 'r':
        return { unit: 0x0d }
      case 'k':
        throw new Unsupported('\\k')
      case 'c': {
        const l = p[this.#i]
        // Annex B: inside a class, \c also takes a digit or '_'; anything else reads the backslash literally.
        if (isLetter(l) || (inClass && (isDigit(l) || l === '_'))) {
          this.#i++
          return { unit: l!.charCodeAt(0) % 32 }
        }
        throw new Unsupported('\\c')
      }
      case 'x': {
        const hex = p.slice(this.#i, this.#i + 2)
        if (hex.length === 2 && isHex(hex)) {
          this.#i += 2
          return { unit: parseInt(hex, 16) }
        }
        return { unit: 0x78 } // Annex B: \x without two hex digits is "x"
      }
      case 'u': {
        const hex = p.slice(this.#i, this.#i + 4)
        if (hex.length === 4 && isHex(hex)) {
          this.#i += 4
          return { unit: parseInt(hex, 16) }
        }
        return { unit: 0x75 } // Annex B: \u without four hex digits is "u" (so \u{3} is "uuu")
      }
      default:
        if (n === '0' && !isDigit(p[this.#i])) return { unit: 0 }
        // \1…\9 are backreferences (or, without groups, legacy octal); \0 followed by a digit is legacy octal.
        if (isDigit(n)) throw new Unsupported(`\\${n}`)
        if (inClass && n === 'b') return { unit: 0x08 }
        // Identity escape: the code unit itself (\/, \., \-, and in Annex B also letters such as \p or \A).
        return { unit: n.charCodeAt(0) }
    }
  }

  #class(): Ast {
    const p = this.p
    this.#i++
    const negate = p[this.#i] === '^'
    if (negate) this.#i++
    const pairs: Ranges = []
    const add = (a: ClassAtom) => ('set' in a ? pairs.push(...a.set) : pairs.push(a.unit, a.unit))
    while (this.#i < p.length && p[this.#i] !== ']') {
      const a = this.#classAtom()
      if (p[this.#i] === '-' && this.#i + 1 < p.length && p[this.#i + 1] !== ']') {
        this.#i++
        const b = this.#classAtom()
        if ('unit' in a && 'unit' in b) {
          if (a.unit > b.unit) throw new Unsupported('[b-a]')
          pairs.push(a.unit, b.unit)
        } else {
          // Annex B: a range with a class escape at either end is the union of both ends and '-'.
          add(a)
          add({ unit: 0x2d })
          add(b)
        }
      } else add(a)
    }
    if (p[this.#i] !== ']') throw new Unsupported('[')
    this.#i++
    const ranges = normalize(pairs)
    return { t: 'set', ranges: negate ? complement(ranges) : ranges }
  }

  #classAtom(): ClassAtom {
    if (this.p[this.#i] === '\\') return this.#escapeAtom(true)
    return { unit: this.p.charCodeAt(this.#i++) }
  }
}

function unit(c: number): Ast {
  return { t: 'set', ranges: [c, c] }
}

const enum Op {
  Char,
  Split,
  Jmp,
  Assert,
  Match,
}

/** A compiled pattern: parallel arrays, one entry per instruction. */
interface Program {
  op: Op[]
  /** Char: the set (next is pc + 1); Split: first branch; Jmp: target; Assert: the assertion (next is pc + 1). */
  x: number[]
  /** Split: second branch. */
  y: number[]
  sets: (Ranges | undefined)[]
}

function compile(ast: Ast): Program {
  const prog: Program = { op: [], x: [], y: [], sets: [] }
  const emit = (op: Op, x = 0, y = 0, set?: Ranges): number => {
    if (prog.op.length >= MAX_PROGRAM_SIZE) throw new TooComplex()
    prog.op.push(op)
    prog.x.push(x)
    prog.y.push(y)
    prog.sets.push(set)
    return prog.op.length - 1
  }
  const pc = () => prog.op.length
  const gen = (node: Ast): void => {
    switch (node.t) {
      case 'set':
        emit(Op.Char, 0, 0, node.ranges)
        return
      case 'assert':
        emit(Op.Assert, node.kind)
        return
      case 'seq':
        for (const item of node.items) gen(item)
        return
      case 'alt': {
        const jumps: number[] = []
        node.options.forEach((option, k) => {
          if (k === node.options.length - 1) return gen(option)
          const split = emit(Op.Split, pc() + 1)
          gen(option)
          jumps.push(emit(Op.Jmp))
          prog.y[split] = pc()
        })
        for (const j of jumps) prog.x[j] = pc()
        return
      }
      case 'rep': {
        for (let k = 0; k < node.min; k++) gen(node.body)
        if (node.max === Infinity) {
          const split = emit(Op.Split, pc() + 1)
          gen(node.body)
          emit(Op.Jmp, split)
          prog.y[split] = pc()
        } else {
          const splits: number[] = []
          for (let k = node.min; k < node.max; k++) {
            splits.push(emit(Op.Split, pc() + 1))
            gen(node.body)
          }
          for (const s of splits) prog.y[s] = pc()
        }
        return
      }
    }
  }
  gen(ast)
  emit(Op.Match)
  return prog
}

/**
 * Shared by every check of one validation: the product value length × pattern size is the worst-case work of a
 * match, and it is charged before running it. When the budget cannot pay, the check is skipped (and the caller
 * says so) instead of letting a 1 MB package full of large patterns and long defaults take seconds.
 */
export interface MatchBudget {
  remaining: number
}

export type FullMatcher =
  | {
      ok: true
      /** Instructions in the compiled pattern (the per-character cost of a match). */
      size: number
      /** Whether the whole of `input` matches; undefined when the budget could not pay for the check. */
      test(input: string, budget?: MatchBudget): boolean | undefined
    }
  | { ok: false; reason: 'unsupported'; construct: string }
  | { ok: false; reason: 'tooComplex' }

export function compileFullMatch(pattern: string): FullMatcher {
  if (pattern.length > MAX_PATTERN_LENGTH) return { ok: false, reason: 'tooComplex' }
  let prog: Program
  try {
    prog = compile(new Parser(pattern).parse())
  } catch (e) {
    if (e instanceof Unsupported) return { ok: false, reason: 'unsupported', construct: e.construct }
    if (e instanceof TooComplex) return { ok: false, reason: 'tooComplex' }
    throw e
  }
  const size = prog.op.length
  return {
    ok: true,
    size,
    test(input, budget) {
      if (budget) {
        const cost = (input.length + 1) * size
        if (cost > budget.remaining) return undefined
        budget.remaining -= cost
      }
      return run(prog, input)
    },
  }
}

/** Pike VM: every thread advances in lock-step over the input, at most one thread per instruction. */
function run(prog: Program, input: string): boolean {
  const size = prog.op.length
  const n = input.length
  const mark = new Int32Array(size).fill(-1)
  let clist = new Int32Array(size)
  let nlist = new Int32Array(size)
  let ccount = 0
  let ncount = 0
  // Each instruction is expanded once per step and pushes at most two successors.
  const stack = new Int32Array(2 * size + 1)
  const word = (i: number) => i >= 0 && i < n && isWordUnit(input.charCodeAt(i))
  const holds = (kind: number, pos: number) => {
    switch (kind) {
      case Assertion.Start:
        return pos === 0
      case Assertion.End:
        return pos === n
      case Assertion.WordBoundary:
        return word(pos - 1) !== word(pos)
      default:
        return word(pos - 1) === word(pos)
    }
  }
  /** Follows jumps, splits and assertions from `start` at `pos`; adds the Char and Match instructions reached. */
  const add = (list: Int32Array, count: number, start: number, pos: number): number => {
    let top = 0
    stack[top++] = start
    while (top > 0) {
      const pc = stack[--top]!
      if (mark[pc] === pos) continue
      mark[pc] = pos
      switch (prog.op[pc]) {
        case Op.Jmp:
          stack[top++] = prog.x[pc]!
          break
        case Op.Split:
          stack[top++] = prog.y[pc]!
          stack[top++] = prog.x[pc]!
          break
        case Op.Assert:
          if (holds(prog.x[pc]!, pos)) stack[top++] = pc + 1
          break
        default:
          list[count++] = pc
      }
    }
    return count
  }
  ccount = add(clist, 0, 0, 0)
  for (let pos = 0; pos <= n; pos++) {
    if (ccount === 0) return false
    const c = pos < n ? input.charCodeAt(pos) : -1
    ncount = 0
    for (let k = 0; k < ccount; k++) {
      const pc = clist[k]!
      if (prog.op[pc] === Op.Match) {
        if (pos === n) return true
      } else if (c >= 0 && inRanges(prog.sets[pc]!, c)) {
        ncount = add(nlist, ncount, pc + 1, pos + 1)
      }
    }
    ;[clist, nlist] = [nlist, clist]
    ccount = ncount
  }
  return false
}
