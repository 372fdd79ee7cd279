/** One CSV record: its fields and the (1-based) line it starts on. */
export interface CsvRow { line: number; fields: string[]; raw: string }

export interface CsvResult {
  rows: CsvRow[];
  /** Records the parser could not read (an unterminated quote swallows the rest of the file). */
  broken: { line: number; raw: string; reason: string }[];
}

/**
 * RFC 4180 CSV: quoted fields with `""` escapes and line breaks inside quotes,
 * CRLF or LF. Blank lines are skipped. Each record keeps its starting line so a
 * bad row can be reported by file and line.
 */
export function parseCsv(text: string, delimiter = ','): CsvResult {
  const rows: CsvRow[] = [];
  const broken: CsvResult['broken'] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const startLine = line;
    const start = i;
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    let atFieldStart = true;
    let ended = false;
    while (i < n && !ended) {
      const c = text[i]!;
      if (quoted) {
        if (c === '"') {
          if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
          quoted = false; i++; continue;
        }
        if (c === '\n') line++;
        field += c; i++; continue;
      }
      if (c === '"' && atFieldStart) { quoted = true; atFieldStart = false; i++; continue; }
      if (c === delimiter) { fields.push(field); field = ''; atFieldStart = true; i++; continue; }
      if (c === '\r' && text[i + 1] === '\n') { i++; continue; }
      if (c === '\n') { line++; i++; ended = true; continue; }
      field += c; atFieldStart = false; i++;
    }
    const raw = text.slice(start, i).replace(/\r?\n$/, '');
    if (quoted) { broken.push({ line: startLine, raw, reason: 'unterminated quoted field' }); break; }
    fields.push(field);
    if (fields.length === 1 && fields[0] === '') continue;
    rows.push({ line: startLine, fields, raw });
  }
  return { rows, broken };
}
