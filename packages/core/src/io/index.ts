// The io public surface: readers (by row ranges, from paths in Node or Blobs and bytes anywhere), atomic
// writers (Node), class-group files.
export { type AtomicWriter, openAtomicWriter, writeFileAtomic } from './atomic.ts';
export { type ByteSource, blobBytes, memoryBytes } from './bytes.ts';
export { type CsvOptions, type CsvSource, openCsv, parseCsv } from './csv.ts';
export type { DTypeName } from './dtype.ts';
export { fileKind, fsError } from './fail.ts';
export {
  type GroupLists,
  type GroupsFileOptions,
  parseGroups,
  readClassNames,
  readGroupsFile,
} from './groups-file.ts';
export { type ByteInput, fileBytes, openBytes } from './input.ts';
export { labelsFromSource } from './labels.ts';
export {
  createNpyWriter,
  type NpyData,
  type NpyHeader,
  type NpyOptions,
  type NpySource,
  type NpyWriter,
  npyFromBytes,
  openNpy,
  readNpyLabels,
  writeNpy,
} from './npy.ts';
export { listNpz, type NpzOptions, npzFromBytes, openNpz } from './npz.ts';
export { type NpzMember, writeNpz } from './npz-writer.ts';
export {
  type ArrayFormat,
  type ArraySpec,
  type OpenArrayOptions,
  openArray,
  parseArraySpec,
  readLabels,
} from './open.ts';
export {
  listSafetensors,
  openSafetensors,
  type SafetensorsOptions,
  safetensorsFromBytes,
} from './safetensors.ts';
export { concatSources, expandInputs } from './shards.ts';
export type { TensorSource } from './tensor-source.ts';
