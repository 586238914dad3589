import { readdirSync, readlinkSync } from 'node:fs';

/**
 * How many of this process's file descriptors are open on `path` (Linux /proc): a leak check that other work in
 * the process (a test runner's own pipes and sockets) cannot disturb.
 */
export function descriptorsOn(path: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false; // closed while listing
    }
  }).length;
}
