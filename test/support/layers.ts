/** One layer of src/ (docs/architecture.md): the files it holds, by path relative to src/. */
export interface Layer {
  name: string;
  rank: number;
  paths: RegExp[];
}

/** The layers, lowest first; a file belongs to the first layer with a matching path. */
export const LAYERS: Layer[] = [
  { name: 'base', paths: [/^util\//, /^errors\.ts$/, /^version\.ts$/] },
  {
    name: 'catalogs',
    paths: [
      /^executors\/(table|catalog|descriptor|kernel-format|vm-options)\.ts$/,
      /^executors\/[^/]+\/descriptor\.ts$/,
      /^parsers\//,
      /^github\//,
      /^oci\//,
    ],
  },
  { name: 'config', paths: [/^config\//] },
  { name: 'plan', paths: [/^plan\//] },
  {
    name: 'state and reports',
    paths: [/^records\//, /^results\//, /^report\//, /^context\//, /^schema-export\.ts$/],
  },
  { name: 'machines', paths: [/^workspace\//, /^process\//, /^images\//, /^executors\//] },
  { name: 'engine', paths: [/^engine\//, /^doctor\//] },
  { name: 'pipeline', paths: [/^pipeline\//] },
  { name: 'edges', paths: [/^action\//, /^cli\//] },
  { name: 'entry points', paths: [/^main\.ts$/, /^post\.ts$/, /^cli\.ts$/] },
].map((layer, rank) => ({ ...layer, rank }));

/** The layer of a source file (path relative to src/), or undefined when no layer claims it. */
export function layerOf(file: string): Layer | undefined {
  return LAYERS.find((layer) => layer.paths.some((pattern) => pattern.test(file)));
}
