// Writes the toy data set of README's Usage section: a 10-class problem whose head was "fine-tuned" on
// classes 0-4 only. Run from anywhere: `node examples/toy/make-toy.mjs [out-dir]` (default: beside this
// script). Output is deterministic (seeded), and a CLI test checks the committed files are what it writes.
//
// The model: features x = m_y + noise in R^16. The pre-trained head is the nearest-mean classifier
// (w_c = m_c, all means of one norm, no bias). Fine-tuning on S = {0..4} scales the seen rows of the head up and raises
// their bias, as the paper observes: the features are untouched, the seen logits are inflated, so at γ = 0
// almost every absent-class row is predicted as a seen class, and a bias γ on the absent logits brings
// them back. Fold heads (for pcv) are fine-tuned the same way on parts of S.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const OUT = process.argv[2] ?? dirname(fileURLToPath(import.meta.url));
const C = 10;
const D = 16;
const SEEN = [0, 1, 2, 3, 4];
const ABSENT = [5, 6, 7, 8, 9];
const NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];
const RADIUS = 3;
const NOISE = 1;
/** Fine-tuning inflation of the seen head rows: weight scale and added bias. */
const SCALE = 1.1;
const BIAS = 8;

/** mulberry32: a small seeded generator, so the files are the same on every machine. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const uniform = rng(20240923);
function normal() {
  const u = 1 - uniform();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * uniform());
}

/** Class means of equal norm RADIUS, so the pre-trained head needs no per-class bias. */
const means = Array.from({ length: C }, () => {
  const v = Array.from({ length: D }, () => normal());
  const norm = Math.hypot(...v);
  return v.map((e) => (RADIUS * e) / norm);
});

function features(labels) {
  return labels.map((y) => means[y].map((m) => m + NOISE * normal()));
}

/** A head (weights C×D, bias C) fine-tuned on `tuned` classes; [] gives the pre-trained head. */
function head(tuned) {
  const weights = means.map((m, c) => m.map((v) => (tuned.includes(c) ? SCALE * v : v)));
  const bias = means.map((_, c) => (tuned.includes(c) ? BIAS : 0));
  return { weights, bias };
}

function logits(x, { weights, bias }) {
  return x.map((row) => weights.map((w, c) => Math.fround(w.reduce((s, v, k) => s + v * row[k], bias[c]))));
}

function labelsOf(n, classes) {
  return Array.from({ length: n }, () => classes[Math.floor(uniform() * classes.length)]);
}

/** NumPy .npy format 1.0, C order, little-endian: float32 matrices and int64 label vectors. */
function npy(name, descr, shape, values) {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${dims}), }`;
  header += `${' '.repeat(63 - ((10 + header.length) % 64))}\n`;
  const size = descr === '<f4' ? 4 : 8;
  const body = Buffer.alloc(values.length * size);
  values.forEach((v, i) => {
    if (descr === '<f4') body.writeFloatLE(v, i * size);
    else body.writeBigInt64LE(BigInt(v), i * size);
  });
  const prefix = Buffer.alloc(10);
  Buffer.from('\x93NUMPY', 'latin1').copy(prefix);
  prefix[6] = 1;
  prefix.writeUInt16LE(header.length, 8);
  writeFileSync(join(OUT, name), Buffer.concat([prefix, Buffer.from(header, 'latin1'), body]));
}

const matrix = (name, rows) => npy(name, '<f4', [rows.length, rows[0].length], rows.flat());
const vector = (name, values, descr) => npy(name, descr, [values.length], values);

const tuned = head(SEEN);
const pretrained = head([]);

// Evaluation set: every class. Fitting set (the fine-tuning training data): seen classes only.
const labels = labelsOf(1000, [...SEEN, ...ABSENT]);
const x = features(labels);
const fitLabels = labelsOf(500, SEEN);
const fitX = features(fitLabels);
// Reference set for NCM: labelled pre-training features of every class.
const refLabels = labelsOf(500, [...SEEN, ...ABSENT]);

matrix('features.npy', x);
matrix('weights.npy', tuned.weights);
vector('bias.npy', tuned.bias.map(Math.fround), '<f4');
matrix('logits.npy', logits(x, tuned));
vector('labels.npy', labels, '<i8');
matrix('fit-logits.npy', logits(fitX, tuned));
vector('fit-labels.npy', fitLabels, '<i8');
matrix('ref-features.npy', features(refLabels));
vector('ref-labels.npy', refLabels, '<i8');
// pcv: two fold heads, each fine-tuned on part of S, and the pre-trained head, on the fitting rows.
matrix('fold1-logits.npy', logits(fitX, head([0, 1, 2])));
matrix('fold2-logits.npy', logits(fitX, head([2, 3, 4])));
matrix('pretrained-logits.npy', logits(fitX, pretrained));
// Spaced as the repository's formatter (Biome) leaves JSON, so regenerating changes nothing.
writeFileSync(
  join(OUT, 'groups.json'),
  `{ "seen": [${SEEN.join(', ')}], "absent": [${ABSENT.join(', ')}] }\n`,
);
writeFileSync(join(OUT, 'class-names.txt'), `${NAMES.join('\n')}\n`);
