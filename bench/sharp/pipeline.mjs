// The image pipeline of services/images/pipeline.py, written with sharp, for comparison.
// Usage: node pipeline.mjs <rounds> <in-flight> <png-filtering: default|adaptive> <file>...
// Prints one JSON line per round. sharp's default PNG skips row filtering (files ~60 % larger
// than Pillow's); "adaptive" filters like Pillow, for a comparison at equal output size.
import { readFileSync } from "node:fs";
import sharp from "sharp";

const [rounds, inFlight, pngFiltering, ...files] = process.argv.slice(2);
const pngOptions = { adaptiveFiltering: pngFiltering === "adaptive" };
const inputs = files.map((f) => readFileSync(f));
sharp.cache(false);

// 256-bit perceptual hash as imagehash.phash(hash_size=16): 64x64 grey, 2-D DCT, 16x16 low band vs median.
function phash(grey, n = 64, size = 16) {
  const dct = new Float64Array(size * n);
  for (let u = 0; u < size; u++)
    for (let y = 0; y < n; y++) {
      let s = 0;
      for (let x = 0; x < n; x++) s += grey[y * n + x] * Math.cos(((2 * x + 1) * u * Math.PI) / (2 * n));
      dct[u * n + y] = s;
    }
  const low = [];
  for (let v = 0; v < size; v++)
    for (let u = 0; u < size; u++) {
      let s = 0;
      for (let y = 0; y < n; y++) s += dct[u * n + y] * Math.cos(((2 * y + 1) * v * Math.PI) / (2 * n));
      low.push(s);
    }
  const sorted = [...low].sort((a, b) => a - b);
  const median = (sorted[size * size / 2 - 1] + sorted[size * size / 2]) / 2;
  return low.map((v) => (v > median ? 1 : 0)).join("");
}

async function one(buffer) {
  const image = sharp(buffer, { failOn: "error", limitInputPixels: 4096 * 4096 }).rotate();
  const meta = await image.metadata();
  if (!["png", "jpeg", "webp"].includes(meta.format)) throw new Error("unsupported");
  const decoded = await image.clone().raw().toBuffer({ resolveWithObject: true });
  const base = () => sharp(decoded.data, { raw: decoded.info });
  const medium = await base().resize(1024, 1024, { fit: "inside", withoutEnlargement: true }).raw()
    .toBuffer({ resolveWithObject: true });
  const fromMedium = () => sharp(medium.data, { raw: medium.info });
  const outputs = await Promise.all([
    fromMedium().webp({ quality: 90 }).toBuffer(),
    fromMedium().resize(256, 256, { fit: "inside" }).webp({ quality: 80 }).toBuffer(),
    base().png(pngOptions).toBuffer(),
    base().jpeg({ quality: 90 }).toBuffer(),
    base().webp({ quality: 90 }).toBuffer(),
  ]);
  const grey = await fromMedium().resize(256, 256, { fit: "inside" }).greyscale()
    .resize(64, 64, { fit: "fill" }).raw().toBuffer();
  phash(grey);
  return outputs.reduce((n, b) => n + b.length, 0);
}

async function round() {
  const queue = [...inputs];
  let bytes = 0;
  const started = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  await Promise.all(Array.from({ length: Number(inFlight) }, async () => {
    while (queue.length) bytes += await one(queue.shift());
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return { seconds, images: inputs.length, bytes, cpu_seconds: (cpu.user + cpu.system) / 1e6,
           rss_mb: process.memoryUsage().rss / 1048576 };
}

sharp.concurrency(1); // one libvips thread per image; parallelism comes from the images in flight
for (let i = 0; i < Number(rounds); i++) console.log(JSON.stringify(await round()));
