// Keeps the mappings of some sources of a source map and drops the rest.
//
// The start bundle (scripts/build.mjs) holds Portvakt and most of its dependencies. With every
// dependency's mappings its maps are ~2 MB, and Node decodes all of a map when `--enable-source-maps`
// loads the module: a fifth of a second at every start. Stack frames in Portvakt's own code are the
// ones worth mapping back to src/; a frame in a dependency then shows its place in the bundle, where
// esbuild marks each module's code with its node_modules path.
//
// Mappings are Base64 VLQ, each field relative to the same field of the segment before it (across
// lines, except the generated column), so they are decoded and encoded again, not just cut out.
// Code from a dropped source gets an unmapped segment where it begins: without it, a position in it
// would be attributed to the kept code before it.

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DIGIT = new Map([...BASE64].map((char, index) => [char, index]));

function decodeSegment(text) {
  const fields = [];
  let value = 0;
  let shift = 0;
  for (const char of text) {
    const digit = DIGIT.get(char);
    if (digit === undefined) throw new Error(`not a source map mapping: ${JSON.stringify(text)}`);
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    fields.push(value % 2 ? -Math.floor(value / 2) : value / 2);
    value = 0;
    shift = 0;
  }
  return fields;
}

function encode(number) {
  let value = number < 0 ? -number * 2 + 1 : number * 2;
  let text = '';
  do {
    let digit = value & 31;
    value = Math.floor(value / 32);
    if (value) digit |= 32;
    text += BASE64[digit];
  } while (value);
  return text;
}

/**
 * @param {{ version: number, sources: string[], sourcesContent?: (string | null)[], names?: string[], mappings: string }} map
 * @param {(source: string) => boolean} keep
 */
export function keepSources(map, keep) {
  const newIndex = new Map();
  const sources = [];
  const sourcesContent = [];
  map.sources.forEach((source, index) => {
    if (!keep(source)) return;
    newIndex.set(index, sources.length);
    sources.push(source);
    sourcesContent.push(map.sourcesContent?.[index] ?? null);
  });

  const read = { source: 0, line: 0, column: 0, name: 0 }; // absolute, as decoded so far
  const written = { source: 0, line: 0, column: 0, name: 0 }; // what the output's deltas start from
  let lastWrittenMapped = false;
  const lines = map.mappings.split(';').map((lineText) => {
    let generatedColumn = 0;
    let writtenColumn = 0;
    const segments = [];
    if (!lineText) return '';
    for (const segmentText of lineText.split(',')) {
      const fields = decodeSegment(segmentText);
      generatedColumn += fields[0];
      if (fields.length >= 4) {
        read.source += fields[1];
        read.line += fields[2];
        read.column += fields[3];
        if (fields.length >= 5) read.name += fields[4];
      }
      const target = fields.length >= 4 ? newIndex.get(read.source) : undefined;
      if (target === undefined) {
        if (lastWrittenMapped) {
          segments.push(encode(generatedColumn - writtenColumn));
          writtenColumn = generatedColumn;
          lastWrittenMapped = false;
        }
        continue;
      }
      let text = encode(generatedColumn - writtenColumn) + encode(target - written.source) + encode(read.line - written.line) + encode(read.column - written.column);
      writtenColumn = generatedColumn;
      written.source = target;
      written.line = read.line;
      written.column = read.column;
      if (fields.length >= 5) {
        text += encode(read.name - written.name);
        written.name = read.name;
      }
      segments.push(text);
      lastWrittenMapped = true;
    }
    return segments.join(',');
  });
  return { ...map, sources, ...(map.sourcesContent ? { sourcesContent } : {}), mappings: lines.join(';') };
}
