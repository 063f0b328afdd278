export interface SourceMapV3 {
  version: number;
  sources: string[];
  sourcesContent?: (string | null)[];
  names?: string[];
  mappings: string;
  [field: string]: unknown;
}

/** The map with only the sources `keep` accepts; positions in code from the others map to nothing. */
export function keepSources<T extends SourceMapV3>(map: T, keep: (source: string) => boolean): T;
