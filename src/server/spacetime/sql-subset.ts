/**
 * The subset of SpacetimeDB's subscription SQL the reference server understands (SPACETIME_PROTOCOL
 * §1.6): `SELECT * FROM <table> [WHERE <expr>]`, `expr` built from `<column> <op> <literal>`, `AND`,
 * `OR` and parentheses; ops `= != <> < > <= >=`; literals are single-quoted strings (`''` escapes a
 * quote) or unsigned integers. Everything else — `ORDER BY`, `LIMIT`, column lists, functions,
 * `SELECT 1` — is refused, as the real parser does.
 */

/** A value a row column or literal can hold. */
export type SqlValue = string | number | boolean;

/** A parsed condition. */
export type SqlExpr =
  | { kind: 'cmp'; column: string; op: '=' | '!=' | '<' | '>' | '<=' | '>='; value: SqlValue }
  | { kind: 'and' | 'or'; left: SqlExpr; right: SqlExpr };

/** A parsed `SELECT * FROM table [WHERE expr]`. */
export interface SqlQuery {
  table: string;
  where: SqlExpr | undefined;
}

/** Result of {@link parseQuery}: data, never an exception. */
export type ParseResult = { ok: true; query: SqlQuery } | { ok: false; error: string };

type Token = { t: 'ident' | 'op' | 'str' | 'num' | 'punct'; v: string };

function tokenize(sql: string): Token[] | string {
  const out: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let v = '';
      i++;
      for (;;) {
        if (i >= sql.length) return 'unterminated string literal';
        if (sql[i] === "'") {
          if (sql[i + 1] === "'") {
            v += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += sql[i++];
      }
      out.push({ t: 'str', v });
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+/.exec(sql.slice(i))![0];
      out.push({ t: 'num', v: m });
      i += m.length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i))![0];
      out.push({ t: 'ident', v: m });
      i += m.length;
    } else {
      const two = sql.slice(i, i + 2);
      if (['!=', '<>', '<=', '>='].includes(two)) {
        out.push({ t: 'op', v: two === '<>' ? '!=' : two });
        i += 2;
      } else if (['=', '<', '>'].includes(c)) {
        out.push({ t: 'op', v: c });
        i++;
      } else if (['*', '(', ')'].includes(c)) {
        out.push({ t: 'punct', v: c });
        i++;
      } else {
        return `unexpected character ${JSON.stringify(c)}`;
      }
    }
  }
  return out;
}

const kw = (tok: Token | undefined, word: string): boolean => tok?.t === 'ident' && tok.v.toUpperCase() === word;

/** Parse one subscription query. */
export function parseQuery(sql: string): ParseResult {
  const tokens = tokenize(sql);
  if (typeof tokens === 'string') return { ok: false, error: tokens };
  let p = 0;
  const fail = (why: string): ParseResult => ({ ok: false, error: why });
  if (!kw(tokens[p++], 'SELECT')) return fail('expected SELECT');
  if (tokens[p]?.v !== '*' || tokens[p]?.t !== 'punct') return fail('only SELECT * is supported in subscriptions');
  p++;
  if (!kw(tokens[p++], 'FROM')) return fail('expected FROM');
  const table = tokens[p++];
  if (table?.t !== 'ident') return fail('expected a table name');
  if (p === tokens.length) return { ok: true, query: { table: table.v, where: undefined } };
  if (!kw(tokens[p++], 'WHERE')) return fail(`unsupported clause ${JSON.stringify(tokens[p - 1]!.v)}`);

  const parseOr = (): SqlExpr | string => {
    let left = parseAnd();
    while (typeof left !== 'string' && kw(tokens[p], 'OR')) {
      p++;
      const right = parseAnd();
      if (typeof right === 'string') return right;
      left = { kind: 'or', left, right };
    }
    return left;
  };
  const parseAnd = (): SqlExpr | string => {
    let left = parseAtom();
    while (typeof left !== 'string' && kw(tokens[p], 'AND')) {
      p++;
      const right = parseAtom();
      if (typeof right === 'string') return right;
      left = { kind: 'and', left, right };
    }
    return left;
  };
  const parseAtom = (): SqlExpr | string => {
    if (tokens[p]?.t === 'punct' && tokens[p]!.v === '(') {
      p++;
      const inner = parseOr();
      if (typeof inner === 'string') return inner;
      if (tokens[p]?.v !== ')') return 'expected )';
      p++;
      return inner;
    }
    const column = tokens[p++];
    const op = tokens[p++];
    const lit = tokens[p++];
    if (column?.t !== 'ident') return 'expected a column name';
    if (op?.t !== 'op') return 'expected a comparison operator';
    if (lit?.t === 'str') return { kind: 'cmp', column: column.v, op: op.v as never, value: lit.v };
    if (lit?.t === 'num') return { kind: 'cmp', column: column.v, op: op.v as never, value: Number(lit.v) };
    if (kw(lit, 'TRUE') || kw(lit, 'FALSE')) return { kind: 'cmp', column: column.v, op: op.v as never, value: kw(lit, 'TRUE') };
    return 'expected a literal';
  };
  const where = parseOr();
  if (typeof where === 'string') return fail(where);
  if (p !== tokens.length) return fail(`unsupported clause ${JSON.stringify(tokens[p]!.v)}`);
  return { ok: true, query: { table: table.v, where } };
}

/** Columns an expression names (to check them against the table). */
export function columnsOf(e: SqlExpr | undefined): string[] {
  if (e === undefined) return [];
  return e.kind === 'cmp' ? [e.column] : [...columnsOf(e.left), ...columnsOf(e.right)];
}

/** Evaluate a condition against a row keyed by column. */
export function matches(e: SqlExpr | undefined, row: Readonly<Record<string, SqlValue>>): boolean {
  if (e === undefined) return true;
  if (e.kind !== 'cmp') return e.kind === 'and' ? matches(e.left, row) && matches(e.right, row) : matches(e.left, row) || matches(e.right, row);
  const v = row[e.column];
  if (v === undefined || typeof v !== typeof e.value) return false;
  switch (e.op) {
    case '=':
      return v === e.value;
    case '!=':
      return v !== e.value;
    case '<':
      return v < e.value;
    case '>':
      return v > e.value;
    case '<=':
      return v <= e.value;
    default:
      return v >= e.value;
  }
}
