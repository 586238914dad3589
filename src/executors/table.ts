// The executor table: one line per executor vmplan offers. Adding an executor is its descriptor file (see
// ./descriptor.ts) plus one line here; everything else (the jobs-file enum, flags, inputs, docs, preflight,
// stopping leftovers) reads the descriptors through ./catalog.ts.
export { host } from './host/descriptor.js';
export { qemu } from './qemu/descriptor.js';
export { vfkit } from './vfkit/descriptor.js';
