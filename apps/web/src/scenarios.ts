// The scenarios shipped with the model packages, bundled as text, by `package/name`.
const files = import.meta.glob<string>('../../../packages/*/scenarios/*.yaml', {
  query: '?raw',
  import: 'default',
  eager: true,
});

/** `pfncache/r02-invalidation-in-window` -> the file's text. */
export const shippedScenarios: ReadonlyMap<string, string> = new Map(
  Object.entries(files)
    .map(([path, text]): [string, string] => {
      const m = /packages\/([^/]+)\/scenarios\/([^/]+)\.yaml$/.exec(path);
      return [m ? `${m[1]}/${m[2]}` : path, text];
    })
    .sort(([a], [b]) => a.localeCompare(b)),
);

const configs = import.meta.glob<string>('../../bench/configs/*.yaml', {
  query: '?raw',
  import: 'default',
  eager: true,
});

/** The bench's shipped configs by file name (`default.yaml`, `rfc-v1.yaml`, ...). */
export const shippedConfigs: ReadonlyMap<string, string> = new Map(
  Object.entries(configs).map(([path, text]): [string, string] => [path.replace(/^.*\//, ''), text]),
);
