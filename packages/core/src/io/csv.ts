import { bytesText, inputError } from './fail.ts';
import { type ByteInput, readWhole, utf8Text } from './input.ts';
import { checkRowRange, type TensorSource } from './tensor-source.ts';

/**
 * CSV (or whitespace-separated text) of numbers. Read whole: text is the small-data path, and large
 * arrays belong in .npy. Delimiter (comma, semicolon, tab or whitespace) and an optional header row are
 * detected from the first non-comment line; every row must have the same width.
 */
export interface CsvOptions {
  delimiter?: ',' | ';' | '\t' | 'whitespace';
  /** true: the first line is a header; false: it is data; default: a header if it is not all numbers. */
  header?: boolean;
  name?: string;
}

export interface CsvSource extends TensorSource {
  /** The header row's names, when there was one. */
  readonly columns: readonly string[] | null;
}

/** Beyond this a text file is the wrong format for the job (and near V8's string limit). */
const MAX_CSV_BYTES = 256 << 20;

const NUMBER = /^[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|inf|infinity|nan)$/i;

function toNumber(field: string): number | null {
  if (!NUMBER.test(field)) return null;
  const lower = field.toLowerCase().replace(/^\+/, '');
  if (lower === 'nan' || lower === '-nan') return Number.NaN;
  if (lower === 'inf' || lower === 'infinity') return Number.POSITIVE_INFINITY;
  if (lower === '-inf' || lower === '-infinity') return Number.NEGATIVE_INFINITY;
  return Number(field);
}

type Delimiter = NonNullable<CsvOptions['delimiter']>;

function detectDelimiter(line: string): Delimiter {
  if (line.includes(',')) return ',';
  if (line.includes(';')) return ';';
  if (line.includes('\t')) return '\t';
  return 'whitespace';
}

function split(line: string, delimiter: Delimiter): string[] {
  if (delimiter === 'whitespace') return line.trim().split(/\s+/);
  return line.split(delimiter).map((f) => {
    const t = f.trim();
    return t.length >= 2 && t[0] === t[t.length - 1] && (t[0] === '"' || t[0] === "'")
      ? t.slice(1, -1).trim()
      : t;
  });
}

/** Parses CSV text; `file` names it in errors, with 1-based line and column numbers. */
export function parseCsv(text: string, file: string, options: CsvOptions = {}): CsvSource {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n|\r/);
  let delimiter: Delimiter | undefined = options.delimiter;
  let columns: string[] | null = null;
  let cols = -1;
  let firstDataLine = 0;
  const values: number[] = [];
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l]!;
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    delimiter ??= detectDelimiter(trimmed);
    const fields = split(line, delimiter);
    if (cols < 0 && columns === null) {
      // A header is words (and perhaps an empty index-column name); any number in it makes it data.
      const isHeader = fields.some((f) => f !== '') && fields.every((f) => toNumber(f) === null);
      if (options.header ?? isHeader) {
        columns = fields;
        cols = fields.length;
        continue;
      }
    }
    if (cols < 0) cols = fields.length;
    if (firstDataLine === 0) firstDataLine = l + 1;
    if (fields.length !== cols) {
      throw inputError(
        file,
        `line ${l + 1} has ${fields.length} values but ${columns ? 'the header has' : `line ${firstDataLine} has`} ${cols}`,
        'give every row the same number of columns',
      );
    }
    for (let c = 0; c < fields.length; c++) {
      const v = toNumber(fields[c]!);
      if (v === null) {
        const what = fields[c] === '' ? 'is empty' : `'${fields[c]!.slice(0, 40)}' is not a number`;
        throw inputError(
          file,
          `line ${l + 1}, column ${c + 1} ${what}`,
          'the file must hold numbers only (one optional header row)',
        );
      }
      values.push(v);
    }
  }
  if (values.length === 0)
    throw inputError(file, 'holds no rows of numbers', 'write one row of numbers per line');
  const data = Float64Array.from(values);
  const rows = data.length / cols;
  return {
    name: file,
    rows,
    cols,
    dtype: 'float64',
    shape: [rows, cols],
    columns,
    async readRows(start, count) {
      checkRowRange(file, rows, start, count);
      return Float32Array.from(data.subarray(start * cols, (start + count) * cols));
    },
    async readRowsF64(start, count) {
      checkRowRange(file, rows, start, count);
      return data.slice(start * cols, (start + count) * cols);
    },
    async close() {},
  };
}

/** Reads a CSV (a path, a Blob or File, or its bytes) whole and parses it. */
export async function openCsv(input: ByteInput, options: CsvOptions = {}): Promise<CsvSource> {
  const { name: file, bytes } = await readWhole(
    input,
    (file, size) => {
      if (size > MAX_CSV_BYTES) {
        throw inputError(
          file,
          `text file of ${bytesText(size)} is too large to parse`,
          'save large arrays as .npy',
        );
      }
    },
    options.name,
  );
  const text = utf8Text(bytes);
  if (text === null) throw inputError(file, 'is not UTF-8 text', 'save it as plain text');
  return parseCsv(text, file, options);
}
